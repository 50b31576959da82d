/* --dry-run: the plan on stdout (what would run, what is skipped and why);
 * nothing is recorded.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_DRY_RUN_H
#define AEH_EXEC_DRY_RUN_H

#include "exec_options.h"
#include "graph.h"
#include "tracker.h"

/* Prints the plan of `graph`; returns aerohost's exit code. */
int aeh_dry_run(const aero_graph *graph, const aeh_exec_options *opts);

#endif /* AEH_EXEC_DRY_RUN_H */
