/* The job script of one action under the Slurm placement: a shell script
 * that runs this aerohost again (or the runner's command for it) with the
 * execution's command line, for that one action.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_SLURM_SCRIPT_H
#define AEH_EXEC_SLURM_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

/* Writes `dir`/action-`position`.sh (position: the action's 1-based run
 * order) and puts its path in `path` (`size` bytes). The script execs
 * `command` (NULL-terminated; borrowed), the runner's stand-in for
 * `aerohost run PLUGIN`, followed by argv[3..] (the options after `run
 * PLUGIN`); with no command, this aerohost (/proc/self/exe) followed by
 * argv[1..]. Every word is single-quoted. False with the cause in `why`
 * (one line naming the culprit), and then no script is left behind. */
bool aeh_slurm_script_write(const char *dir, size_t position,
                            char *const *command, int argc, char *const *argv,
                            char *path, size_t size, char *why,
                            size_t why_size);

#endif /* AEH_EXEC_SLURM_SCRIPT_H */
