/* Private to tracking (store.c, tracker.c): the backend behind an
 * aeh_store, and the per-process handle on it. */
#ifndef AEH_STORE_H
#define AEH_STORE_H

#include <aeromancy/backend.h>

#include "error.h"
#include "tracker.h"

/* The backend's vtable (a host-sized copy owned by the loaded plugin). */
const aero_backend_vtable *aeh_store_backend(const aeh_store *store);

/* Whether the loaded backend records a run's inputs and reuse key with
 * run_begin (aero_run_record's members since ABI 1.5): an older one
 * ignores them, and is given them by record_input and reuse_key. */
bool aeh_store_begins_whole(const aeh_store *store);
/* For tests: begin runs as for an ABI 1.4 backend (inputs one
 * record_input call each), which no built-in backend is any more. */
void aeh_store_begin_as_abi_1_4(aeh_store *store);

/* This process's handle on the store: the one opened by aeh_store_open in
 * the process that called it, or, in a forked child, the child's own,
 * opened on first use. Borrowed; valid until aeh_store_close. */
aero_status aeh_store_handle(aeh_store *store, void **handle, aero_error *err);

/* This process's own backend and handle even where calls are relayed: the
 * backend is loaded and the store opened here if they are not yet. For an
 * action's process that stores a large output itself (relay_client.c). */
aero_status aeh_store_direct(aeh_store *store, const aero_backend_vtable **vt,
                             void **handle, aero_error *err);

/* Whether a backend's call failed for the store's sake (a full disk, a
 * store error), not the caller's: a declaration the store could not keep
 * is the store's failure, exit 2, whatever the action then returns. */
static inline bool aeh_store_refused(aero_status status) {
  return status == AERO_E_STORE || status == AERO_E_NOSPACE;
}

#endif /* AEH_STORE_H */
