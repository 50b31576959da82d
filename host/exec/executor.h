/* Running a validated graph: one tracked run per action, each in its own
 * child process by default.
 *
 * Owner: engine (executor.c, console.c).
 */
#ifndef AEH_EXECUTOR_H
#define AEH_EXECUTOR_H

#include "exec_options.h"
#include "graph.h"
#include "tracker.h"

/* Runs the selected actions of `graph` in order; unselected ones are
 * skipped and their outputs resolve to the latest existing version.
 * Prints a banner per action and a summary on stderr. Ctrl-C and SIGTERM
 * reach the children and their runs are recorded KILLED. Returns the exit
 * code aerohost should exit with. */
int aeh_execute(aero_graph *graph, aeh_store *store, const aeh_session *session,
                const aeh_exec_options *opts);

#endif /* AEH_EXECUTOR_H */
