/* Ending a run that another process began and can no longer end: the
 * aerohost of a Slurm job killed outright (SIGKILL: out of memory under
 * cgroups, a node failure) dies with its run still RUNNING, and only the
 * submitting host, which sees the job end, is left to record it. */
#include <time.h>

#include "store.h"
#include "tracker.h"

static aero_status note_state(void *ctx, const aero_run_info *run,
                              aero_error *err) {
  (void)err;
  *(uint32_t *)ctx = run->state;
  return AERO_OK;
}

aero_status aeh_run_end_orphan(aeh_store *store, int64_t run_id,
                               const aero_run_outcome *outcome, uint32_t *found,
                               aero_error *err) {
  *found = 0;
  void *handle = NULL;
  aero_status status = aeh_store_handle(store, &handle, err);
  if (status != AERO_OK)
    return status;
  const aero_backend_vtable *vt = aeh_store_backend(store);
  aero_run_sink sink = {.struct_size = sizeof sink, .run = note_state};
  status = vt->query_run(handle, run_id, &sink, found, err);
  if (status != AERO_OK || *found != AERO_RUN_RUNNING)
    return status;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  aero_run_outcome o = *outcome;
  o.struct_size = sizeof o;
  o.ended_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  return vt->run_end(handle, run_id, &o, err);
}
