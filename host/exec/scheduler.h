/* The scheduler: which action goes next (earliest position first among
 * those whose parents resolved), and how each resolved. It decides per
 * action between skipping it (unselected, a failed parent, a stop) and
 * handing its begun run to the placement (placement.h).
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_SCHEDULER_H
#define AEH_EXEC_SCHEDULER_H

#include <stdbool.h>

#include "exec.h"

/* Builds the nodes, the children lists and the ready heap of `ex->graph`,
 * and `slot_count` slots. False when out of memory (aeh_sched_free still
 * frees what was made). */
bool aeh_sched_init(aeh_exec *ex);
void aeh_sched_free(aeh_exec *ex);

/* True when some action is selected to run (else no process will start). */
bool aeh_sched_any_selected(const aeh_exec *ex);

/* Starts or resolves everything that can go now, earliest position first,
 * so that with -j 1 the banners follow the run order exactly. */
void aeh_sched_run_ready(aeh_exec *ex);

/* Records how the run of position `p` ended, prints its banner, and
 * resolves it. Takes `run`; `started` is monotonic. */
void aeh_sched_complete(aeh_exec *ex, size_t p, aeh_run *run,
                        aero_run_outcome *outcome, double started);

/* Like aeh_sched_complete for a run recorded where the action ran (a
 * placement with `records_elsewhere`): prints its banner and resolves it,
 * recording nothing. `run_id` 0 when unknown. */
void aeh_sched_resolved(aeh_exec *ex, size_t p, aero_run_outcome *outcome,
                        int64_t run_id, double started);

/* The action at `p` was handed to a placement that holds its dependents
 * back itself until it ends well (Slurm's afterok): they may be placed
 * now. A dependent is then never reused (what its inputs will be is not
 * known yet) and, when `p` fails, is resolved through
 * aeh_sched_never_started. */
void aeh_sched_placed(aeh_exec *ex, size_t p);

/* True when every parent of the action at `p` resolved (a detached
 * one, submitted and not followed, has not). */
bool aeh_sched_parents_resolved(const aeh_exec *ex, size_t p);

/* The action at `p`, placed, ended without starting (its Slurm job was
 * cancelled while it waited): when the scheduler would not have started
 * it now (a failed parent, a stop, an interrupt), skips it as it would
 * have, and returns true; false when it must be reported as failed. */
bool aeh_sched_never_started(aeh_exec *ex, size_t p);

/* --detach: the action at `p` was submitted and is not followed; its
 * dependents may be submitted now (depending on its job). */
void aeh_sched_submitted(aeh_exec *ex, size_t p);

#endif /* AEH_EXEC_SCHEDULER_H */
