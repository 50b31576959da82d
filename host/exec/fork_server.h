/* The fork server: a process forked once, when a run starts and before the
 * store is opened, that forks every action's process on the host's behalf.
 *
 * Why: fork() write-protects every private page of the forking process, so
 * the host would pay a page fault for each page it writes after each fork,
 * and the host writes many (it records every run in SQLite). Forked before
 * the store is opened, the server (and every action's process) carries no
 * SQLite state, and the host's writes to it are its own. On a VM where
 * a fault costs tens of microseconds that was most of an isolated action's
 * overhead. The fork server writes almost nothing between forks; the host
 * never forks again after starting it.
 *
 * The server is a copy of the host from before its first action, so the graph,
 * the session and the store sit at the same addresses in both: a run is
 * handed over as plain bytes (aeh_run_state_write) with the pipes the
 * action's process writes to (SCM_RIGHTS). The host does not wait for the
 * fork: it learns each process id when it needs one, and each wait
 * status when the process ends, and signals the process groups itself
 * (timeouts, Ctrl-C).
 *
 * Owner: engine (executor).
 */
#ifndef AEH_FORK_SERVER_H
#define AEH_FORK_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracker.h"

typedef struct aeh_fork_server aeh_fork_server;

/* What the server's child runs: never returns. `relay_w` is the action's
 * end of its relay (relay.h); `out_w` and `err_w` the write ends of the
 * host's output pipes (-1 when not captured). */
typedef void (*aeh_fork_server_child_fn)(void *ctx, size_t pos, aeh_run *run,
                                         int relay_w, int out_w, int err_w);

/* Maps a position to its action, in the server's copy of the host. */
typedef const aeh_action *(*aeh_fork_server_action_fn)(void *ctx, size_t pos);

/* Forks the server. `close_fds` (count `close_count`) are descriptors of
 * the host that the server must not keep. Returns 0, or an errno value. */
int aeh_fork_server_start(aeh_fork_server **out, aeh_store *store,
                          const aeh_session *session,
                          aeh_fork_server_action_fn action_of,
                          aeh_fork_server_child_fn child, void *ctx,
                          const int *close_fds, size_t close_count);

/* Asks the server to start the action at `pos` with `run` in a new
 * process (its own process group), and returns without waiting for it:
 * 0 and the start's ticket (1, 2, ... in the order asked), or an errno
 * value. aeh_fork_server_started tells how it went. */
int aeh_fork_server_spawn(aeh_fork_server *server, size_t pos,
                          const aeh_run *run, int relay_w, int out_w, int err_w,
                          uint64_t *ticket);

/* The outcome of the oldest start not yet told, in the order asked: true
 * with its ticket and either its process id (*failure 0) or an errno
 * value in *failure (*pid -1); false when none is left, when none has
 * come yet and `wait` is false, or when the server is gone. Each start's
 * outcome is written before anything about its process's end, and is
 * read only here, on a pipe the host does not poll: a start costs the
 * host no wake-up, and the host asks when it needs a process id (to
 * signal it, to match an exit) or a start's failure (the relay of a
 * process that never started ends at once). */
bool aeh_fork_server_started(aeh_fork_server *server, bool wait,
                             uint64_t *ticket, pid_t *pid, int *failure);

/* The server's process id: the processes that outlived an action which
 * died are handed to it (it is a child subreaper, proctree.h). */
pid_t aeh_fork_server_pid(const aeh_fork_server *server);

/* Readable when an exit is waiting. */
int aeh_fork_server_fd(const aeh_fork_server *server);

/* The next ended process, without blocking: true and its pid and wait
 * status, or false when none is waiting. Sets *lost when the server died
 * (nothing more will come). */
bool aeh_fork_server_next_exit(aeh_fork_server *server, pid_t *pid,
                               int *wstatus, bool *lost);

/* Stops the server (after every action ended) and frees it. */
void aeh_fork_server_stop(aeh_fork_server *server);

#endif /* AEH_FORK_SERVER_H */
