/* Running other programs (git, cmake, tar, the container engine) with
 * argument vectors through posix_spawnp: never through a shell string, so
 * no path or value is ever re-parsed. */
#ifndef AEH_PROC_PROCESS_H
#define AEH_PROC_PROCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* What a captured command produced. */
typedef struct aeh_spawn_out {
  int code;       /* exit code, or 128+N when killed by signal N */
  char *out;      /* stdout, NUL-terminated; owned */
  size_t out_len; /* bytes in `out`, which may hold NULs (git -z) */
  char *err;      /* stderr, NUL-terminated; owned */
} aeh_spawn_out;

/* Runs argv[0] (searched in PATH) with `envp` (NULL: this process's
 * environment), stdin from /dev/null, stdout and stderr captured, and waits
 * for it. Fails only when the program could not be started: AERO_E_NOT_FOUND
 * when it is not installed, with a message naming it. On success the caller
 * frees *out with aeh_spawn_out_free, whatever the exit code. */
aero_status aeh_spawn_capture(char *const *argv, char *const *envp,
                              aeh_spawn_out *out, aero_error *err);
void aeh_spawn_out_free(aeh_spawn_out *out);

/* Runs `n` commands at once, each as aeh_spawn_capture would, and waits for
 * all of them: independent queries (git's status, commit, remote) cost the
 * slowest one instead of their sum. On success outs[0..n) are filled (the
 * caller frees each); when one cannot start, the others are still waited
 * for and nothing is written to `outs`. */
aero_status aeh_spawn_capture_all(char *const *const *argvs, size_t n,
                                  char *const *envp, aeh_spawn_out *outs,
                                  aero_error *err);

/* The first line of `text` (trailing blanks removed) copied into `buf`, for
 * one-line error messages built from a command's stderr. */
const char *aeh_spawn_first_line(const char *text, char *buf, size_t size);

/* aeh_spawn_capture for a command that must succeed (Slurm's sbatch,
 * squeue, scancel, scontrol): true when it exited 0; otherwise `why` holds
 * one line: the first of its stderr (else of its stdout, else its exit
 * code), or why it could not start. *out holds what it printed (all empty
 * when it could not start); the caller frees it with aeh_spawn_out_free
 * whatever the result. */
bool aeh_spawn_check(char *const argv[], char *const envp[], aeh_spawn_out *out,
                     char *why, size_t size);

/* Runs a pipeline of one or two commands in the foreground and waits:
 * `producer | consumer` when `consumer` is not NULL, else `producer` alone.
 * stdin and stderr are inherited; the last command's stdout goes to stderr
 * when `stdout_to_stderr` (so that a command's progress never mixes with the
 * runner's data on stdout). While waiting, SIGINT and SIGQUIT are ignored
 * here (the terminal delivers them to the children too) and SIGTERM and
 * SIGHUP are forwarded. *code is the last command's exit code, or the
 * producer's when only the producer failed; 128+N for signal N. */
aero_status aeh_spawn_foreground(char *const *producer, char *const *consumer,
                                 char *const *envp, bool stdout_to_stderr,
                                 int *code, aero_error *err);

/* A copy of `base` (NULL: this process's environment) with every
 * "NAME=VALUE" of `sets` replacing or adding that variable. The array is
 * owned by the caller (free() it); its strings are borrowed from `base` and
 * `sets`. NULL when out of memory. */
char **aeh_spawn_env_with(char *const *base, char *const *sets, size_t nsets);

#endif /* AEH_PROC_PROCESS_H */
