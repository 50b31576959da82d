/* The script through which each Slurm job of a production run (`aeromancy
 * go --executor slurm`) runs its action's container: the job's script is
 * `exec sh WRAPPER ENDS ENGINE run ... IMAGE aerohost run ...`.
 *
 * When Slurm ends a job itself (its time limit, scancel, preemption) it
 * signals every process of the job, the engine's client among them, which
 * passes the signal on to the container. The action's aerohost in there
 * has no scontrol to ask Slurm why (a --dev job's aerohost asks it
 * itself, host/exec/slurm_job.c), so the wrapper, outside the container,
 * asks it when it gets SIGTERM and writes the answer to ENDS/JOBID: a
 * folder mounted into the container, where that aerohost reads it.
 *
 * The engine's daemon starts the container outside the job's cgroup, so
 * the wrapper also gives it the job's allocation as `ENGINE run` options:
 * memory, CPUs (and the job's CPU set when it is bound), and the device
 * files of its GPUs, from Slurm's variables and gres.conf
 * (docs/execution.md has the table).
 *
 * Owner: runner.
 */
#ifndef AEH_RUNNER_SLURM_WRAPPER_H
#define AEH_RUNNER_SLURM_WRAPPER_H

#include "error.h"

/* Where the ENDS folder is inside the container, and the variable that
 * tells the job's aerohost (slurm_job.c reads the same name). */
#define AEH_SLURM_ENDS_IN "/aeromancy/slurm-ends"
#define AEH_SLURM_ENDS_ENV "AEROMANCY_SLURM_END_DIR"

/* Writes the wrapper to DIR/container-job.sh (replacing it whole, so that
 * a job already running it reads the old one to its end) and creates the
 * folder DIR/ends. Their paths into *script and *ends, which the caller
 * frees. DIR must exist. */
aero_status aeh_slurm_wrapper_write(const char *dir, char **script, char **ends,
                                    aero_error *err);

#endif /* AEH_RUNNER_SLURM_WRAPPER_H */
