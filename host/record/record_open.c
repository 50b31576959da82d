/* Opening a store for reading, and the members a reader needs. */
#include "record.h"
#include "store.h"

#include <string.h>

aero_status aeh_record_open(const char *backend, const char *location,
                            aeh_record *out, aero_error *err) {
  aeh_store *store = NULL;
  aero_status status = aeh_store_open_existing(backend, location, &store, err);
  if (status != AERO_OK)
    return status;
  aeh_record rec = {.store = store, .vt = aeh_store_backend(store)};
  status = aeh_store_handle(store, &rec.handle, err);
  if (status != AERO_OK) {
    aeh_store_close(store);
    return status;
  }
  *out = rec;
  return AERO_OK;
}

void aeh_record_close(aeh_record *rec) {
  if (rec == NULL)
    return;
  aeh_store_close(rec->store);
  memset(rec, 0, sizeof *rec);
}

const char *aeh_record_location(const aeh_record *rec) {
  return aeh_store_location(rec->store);
}

void aeh_record_settle_dead(const aeh_record *rec) {
  aero_error ignored = AEH_ERROR_INIT;
  if (rec->vt->settle_dead != NULL)
    (void)rec->vt->settle_dead(rec->handle, &ignored);
}

aero_status aeh_record_need(const aeh_record *rec, bool present,
                            const char *member, aero_error *err) {
  if (present)
    return AERO_OK;
  return aeh_error_set(err, AERO_E_UNSUPPORTED,
                       "the store's backend '%s' cannot be read: it lacks the "
                       "query member %s (built against an SDK older than 1.2?)",
                       rec->vt->name != NULL ? rec->vt->name : "?", member);
}
