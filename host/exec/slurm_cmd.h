/* Slurm's commands (sbatch, squeue, scancel, scontrol) as the Slurm
 * placement and a job's own aerohost run them.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_SLURM_CMD_H
#define AEH_EXEC_SLURM_CMD_H

#include <stddef.h>

/* Runs argv (PATH lookup), its stdout and stderr into `out` (cut to
 * `size`); returns its exit status (-1: it could not start, or died of a
 * signal). */
int aeh_slurm_cmd(char *const argv[], char *out, size_t size);

/* Ends `text` at its first newline, for a one-line message. */
const char *aeh_slurm_first_line(char *text);

#endif /* AEH_EXEC_SLURM_CMD_H */
