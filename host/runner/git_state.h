/* What the runner learns from git about the project: where its root is,
 * whether its tree is clean, and the commit a production run records. git
 * runs as a child process with an argument vector (`git -C DIR ...`), so it
 * works the same in linked worktrees and never sees a shell. */
#ifndef AEH_RUNNER_GIT_STATE_H
#define AEH_RUNNER_GIT_STATE_H

#include "error.h"
#include "process.h"
#include "strv.h"

typedef struct aeh_git_state {
  char *commit;  /* full commit id */
  char *branch;  /* branch name; "HEAD" when detached */
  char *message; /* first line of the commit message */
  char *remote;  /* URL of the "origin" remote (or the first one); "" if none */
} aeh_git_state;

/* The top folder of the git work tree holding `dir`, into *out (owned by the
 * caller). AERO_E_NOT_FOUND when `dir` is not in a work tree (or git is not
 * installed). */
aero_status aeh_git_toplevel(const char *dir, char **out, aero_error *err);

/* Everything a production run needs from git, read with four git
 * commands run at once (status, rev-parse, log, config), and `also` (NULL
 * for none), a command of the caller's run alongside them, its result in
 * *also_out whatever git said (the caller frees it). Appends one entry
 * per changed or untracked path of the work tree at `dir` to `dirty`, as
 * git's short status shows them ("M  src/a.c", "?? notes.txt"; ignored
 * files are not listed, an empty list is a clean tree), and reads commit,
 * branch, message and remote into *state. Fails with AERO_E_NOT_FOUND when
 * `dir` is not in a work tree, AERO_E_CONFIG when there is no commit yet.
 * On success the caller frees *state with aeh_git_state_free. */
aero_status aeh_git_inspect(const char *dir, char *const *also,
                            aeh_spawn_out *also_out, aeh_strv *dirty,
                            aeh_git_state *state, aero_error *err);
void aeh_git_state_free(aeh_git_state *state);

#endif /* AEH_RUNNER_GIT_STATE_H */
