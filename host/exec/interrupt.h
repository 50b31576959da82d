/* Ctrl-C and SIGTERM while actions run: forwarded to every running
 * action, which then gets a grace period before SIGKILL; a second one
 * kills at once.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_INTERRUPT_H
#define AEH_EXEC_INTERRUPT_H

#include "exec.h"

/* Acts on every Ctrl-C / SIGTERM received since the last call. */
void aeh_interrupt_check(aeh_exec *ex);

#endif /* AEH_EXEC_INTERRUPT_H */
