/* Guarding the host while a plugin's code runs for the first time.
 *
 * Owner: loading (loader.c). dlopen runs the library's constructors, then
 * the loader calls its entry and init: plugin code that runs in the host
 * itself, before anything is recorded. Whatever it does there must end as
 * a bad plugin (exit 3, one line naming it), not as something else: a
 * crash (SIGSEGV, or glibc's own SIGBUS on a file that changed under it),
 * a hang, or exit(0), which would otherwise pass for success.
 */
#ifndef AEH_LOAD_GUARD_H
#define AEH_LOAD_GUARD_H

/* How long loading may take, in seconds, unless
 * $AEROMANCY_PLUGIN_LOAD_TIMEOUT says otherwise (0 disables it). */
#define AEH_LOAD_TIMEOUT_S 30

#include "error.h"

/* Reads $AEROMANCY_PLUGIN_LOAD_TIMEOUT before a load into *seconds, for
 * aeh_load_guard_begin: unset, empty, or whole seconds from 0 to 86400;
 * anything else is AERO_E_CONFIG, one line quoting it (it was taken as the
 * default, 30 s, without a word). */
aero_status aeh_load_guard_check(unsigned *seconds, aero_error *err);

/* From here until aeh_load_guard_end, a crash signal, exit() or the
 * timeout prints "aerohost: error: PATH: <what happened> while loading"
 * and ends the process with exit 3. Not nested; not thread-safe (the host
 * loads plugins from its main thread). `path` is copied; `timeout_s` is
 * aeh_load_guard_check's (0: no limit). */
void aeh_load_guard_begin(const char *path, unsigned timeout_s);
/* Restores the signal handlers and timer that were there before (nothing
 * when no guard is up). */
void aeh_load_guard_end(void);

#endif /* AEH_LOAD_GUARD_H */
