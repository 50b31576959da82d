/* Slurm's commands (sbatch, squeue, scancel, scontrol) as the Slurm
 * placement and a job's own aerohost run them, through the spawner both
 * aerohost and the runner use (proc/process.c): whole output, any length.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_SLURM_CMD_H
#define AEH_EXEC_SLURM_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "process.h"

/* Runs argv (PATH lookup) with `envp` (NULL: this process's environment),
 * stdin from /dev/null, and captures what it printed in *out, which the caller
 * frees with aeh_spawn_out_free whatever the result (all empty when it could
 * not start). True when it exited 0; otherwise `why` holds one line: the first
 * of its stderr (else of its stdout), or why it could not start. */
bool aeh_slurm_run(char *const argv[], char *const envp[], aeh_spawn_out *out,
                   char *why, size_t size);

#endif /* AEH_EXEC_SLURM_CMD_H */
