/* Ending what an action started: every process it forked, including those
 * that left its process group (setsid, setpgid) or outlived their own
 * parent. An action's process is a child subreaper (prctl
 * PR_SET_CHILD_SUBREAPER): while it lives, its orphaned descendants become
 * its children, so that when the action returns (or calls exit) it can
 * end them all. If it dies first (a crash, a signal), they pass to the
 * fork server, also a subreaper, and the host ends them there.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_PROCTREE_H
#define AEH_EXEC_PROCTREE_H

#include <stddef.h>
#include <sys/types.h>

/* Makes the calling process a child subreaper. */
void aeh_proctree_adopt_orphans(void);

/* Sends SIGKILL to every child of `parent` (from /proc/PID/task/\*\/children)
 * whose pid is not in `keep` (count `keep_count`). Returns how many were
 * signalled, or -1 when the children cannot be listed. */
int aeh_proctree_kill_children(pid_t parent, const pid_t *keep,
                               size_t keep_count);

/* In an action's process, after the action returned or called exit():
 * kills and reaps every descendant, those adopted included, and returns
 * when none is left (or the children cannot be listed). */
void aeh_proctree_end_descendants(void);

#endif /* AEH_EXEC_PROCTREE_H */
