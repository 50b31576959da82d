/* Telling an action killed for memory from one killed otherwise: the
 * kernel's OOM killer ends the process with SIGKILL, as `kill -9` would,
 * and only the memory cgroup's count of OOM kills says which it was. Under
 * a memory limit (a container's `--memory`, which a Slurm job's container
 * gets from its allocation; a Slurm job's cgroup) the largest process, the
 * action's, is the one killed, and the host that forked it is left to
 * record why.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_OOM_H
#define AEH_EXEC_OOM_H

#include <stddef.h>
#include <stdint.h>

/* How many processes the OOM killer has killed in this process's memory
 * cgroup (cgroup v2 memory.events, v1 memory.oom_control: `oom_kill`); 0
 * when no cgroup says (then no kill is ever taken for one). */
uint64_t aeh_oom_kills(void);

/* The memory limit of this process's memory cgroup in bytes, 0 for none
 * or unknown. */
uint64_t aeh_oom_limit(void);

/* The message of an action killed by the OOM killer into `msg`. */
void aeh_oom_message(char *msg, size_t size);

#endif /* AEH_EXEC_OOM_H */
