/* Where a runnable action is carried out: the seam between the scheduler
 * (which decides what goes next) and the ways of running an action.
 *
 * The scheduler begins the action's run (aeh_run_begin) and hands it to
 * the placement's `start`, which takes the run. A placement either ends
 * it at once (aeh_sched_complete, as the in-process placement does) or
 * fills a slot (aeh_slot: its process group, its relay, its output) that
 * the event loop watches; when the placement learns that the action
 * ended it calls aeh_loop_finish, which maps the end onto an outcome and
 * completes the run. A placement that runs actions elsewhere (a batch
 * system) does the same with its own event source: `event_fd` wakes the
 * loop, `reap` reports the ended ones, `signal` forwards a timeout or a
 * Ctrl-C.
 *
 * Members other than `name` and `start` may be NULL.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_PLACEMENT_H
#define AEH_EXEC_PLACEMENT_H

#include <stdbool.h>

#include "exec.h"

struct aeh_placement {
  const char *name;
  /* The action's run is begun and ended where it runs (a batch job's own
   * aerohost, in the same store): the scheduler begins none, `start` gets
   * a NULL run, and the placement reports the end with aeh_sched_resolved.
   * Such a placement has a slot for every action (no -j bound). */
  bool records_elsewhere;
  /* Before the store connects: anything that must exist before the host
   * holds store state (the fork server). */
  void (*open)(aeh_exec *ex);
  /* True when one more action can start now. NULL: always (a placement
   * that ends each action within `start`). */
  bool (*has_room)(const aeh_exec *ex);
  /* Carries out the action at `pos`, whose run has begun. Takes `run`;
   * `started` is the monotonic time the action was announced. */
  void (*start)(aeh_exec *ex, size_t pos, aeh_run *run, double started);
  /* Readable when an action may have ended, or -1. */
  int (*event_fd)(const aeh_exec *ex);
  /* Finishes every action that ended (aeh_loop_finish). Called when the
   * loop saw a child exit, the event fd, or a passed deadline. */
  void (*reap)(aeh_exec *ex);
  /* Sends `sig` to everything the action in `s` started. */
  void (*signal)(aeh_exec *ex, aeh_slot *s, int sig);
  /* After the last action ended. */
  void (*close)(aeh_exec *ex);
};

/* Actions in their own processes (the default). */
extern const aeh_placement aeh_place_process;
/* Actions on the host's own stack (--no-isolation). */
extern const aeh_placement aeh_place_inline;

/* Each action as a Slurm job (--executor slurm; placement_slurm.c). */
extern const aeh_placement aeh_place_slurm;

#endif /* AEH_EXEC_PLACEMENT_H */
