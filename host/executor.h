/* Running a validated graph: one tracked run per action, each in its own
 * child process by default.
 *
 * Owner: engine (executor.c, console.c).
 */
#ifndef AEH_EXECUTOR_H
#define AEH_EXECUTOR_H

#include <stdbool.h>

#include "graph.h"
#include "tracker.h"

/* aerohost's exit codes (the README and --help document them). */
enum {
  AEH_EXIT_OK = 0,         /* every selected action succeeded */
  AEH_EXIT_FAILED = 1,     /* an action failed, crashed or timed out */
  AEH_EXIT_INFRA = 2,      /* the store or the host failed while running */
  AEH_EXIT_USAGE = 3,      /* error before anything ran */
  AEH_EXIT_SIGNAL = 128,   /* + N when killed by signal N */
};

typedef struct aeh_exec_options {
  unsigned jobs;       /* >= 1: independent actions run in parallel */
  bool keep_going;     /* after a failure, go on with independent branches */
  double timeout_s;    /* per action; 0 for none */
  bool dry_run;        /* print the plan, run nothing */
  bool isolate;        /* false: run actions in-process (--no-isolation) */
  bool debug;          /* verbose */
} aeh_exec_options;

/* Runs the selected actions of `graph` in order; unselected ones are
 * skipped and their outputs resolve to the latest existing version.
 * Prints a banner per action and a summary on stderr. Ctrl-C and SIGTERM
 * reach the children and their runs are recorded KILLED. Returns the exit
 * code aerohost should exit with. */
int aeh_execute(aero_graph *graph, aeh_store *store,
                const aeh_session *session, const aeh_exec_options *opts);

#endif /* AEH_EXECUTOR_H */
