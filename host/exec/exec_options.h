/* What aeh_execute is asked to do, and the exit codes it answers with:
 * apart from executor.h so that the executor's parts can use them without
 * an arrow back up to aeh_execute.
 *
 * Owner: engine.
 */
#ifndef AEH_EXEC_OPTIONS_H
#define AEH_EXEC_OPTIONS_H

#include <stdbool.h>

#include "exit_codes.h" /* what aeh_execute answers with */

typedef struct aeh_exec_options {
  unsigned jobs;    /* >= 1: independent actions run in parallel */
  bool keep_going;  /* after a failure, go on with independent branches */
  double timeout_s; /* per action; 0 for none */
  bool dry_run;     /* print the plan, run nothing */
  bool isolate;     /* false: run actions in-process (--no-isolation) */
  bool debug;       /* verbose */
  bool force;       /* run every selected action: reuse none (--force) */
  bool slurm;       /* each action as a Slurm job (--executor slurm) */
  bool detach;      /* with slurm: submit everything, follow nothing */
  /* What each Slurm job asks for over the actions' own resources
   * (slurm_resources.h); NULL for nothing. Borrowed. */
  const struct aeh_slurm_settings *slurm_res;
  /* aerohost's own command line, which each Slurm job runs again for its
   * one action (placement_slurm.c). Borrowed. */
  int argc;
  char **argv;
} aeh_exec_options;

#endif /* AEH_EXEC_OPTIONS_H */
