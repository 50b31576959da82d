/* --dry-run: the plan on stdout (what would run, be reused or skipped, and
 * why); nothing is recorded, and a store that does not exist yet is not
 * created.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_DRY_RUN_H
#define AEH_EXEC_DRY_RUN_H

#include "exec_options.h"
#include "graph.h"
#include "tracker.h"

/* Prints the plan of `graph`, looking in `store` (prepared, not yet
 * connected; may be NULL) for runs to reuse; returns aerohost's exit
 * code. */
int aeh_dry_run(const aero_graph *graph, aeh_store *store,
                const aeh_session *session, const aeh_exec_options *opts);

#endif /* AEH_EXEC_DRY_RUN_H */
