/* The error object that crosses the plugin boundary.
 *
 * It is owned by the host: every call that can fail takes an `aero_error *`
 * that the host allocated, and the plugin fills it through the host API
 * (aero_error_setf in plugin.h). Nothing allocated on one side is ever freed
 * on the other. Plugins never see its layout.
 */
#ifndef AEROMANCY_ERROR_H
#define AEROMANCY_ERROR_H

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque; owned by the host; valid only for the duration of the call that
 * received it. Since ABI 1.0. */
typedef struct aero_error aero_error;

/* The longest message an error keeps, terminator included; longer messages
 * are truncated. */
#define AERO_ERROR_MESSAGE_MAX 1024


#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_ERROR_H */
