/* The state one run of a graph shares between the executor's parts:
 *
 *   scheduler.c  which action goes next, and how each one resolved
 *   placement.h  where a runnable action is carried out (the seam)
 *   spawn.c      the one way of starting an action's process, and the
 *                two placements built on it: a child process (default)
 *                and the host's own stack (--no-isolation)
 *   loop.c       the poll() loop: relays, output, deadlines
 *   interrupt.c  Ctrl-C / SIGTERM forwarded to the running actions
 *   signals.c    the self-pipe the signal handlers write to
 *   reuse.c      whether a past run can stand for an action (reuse_key.c
 *                computes the key it is found by)
 *   outcome.c    how an ended action maps onto a run outcome
 *   dry_run.c    the plan printed by --dry-run
 *   executor.c   aeh_execute: set up, loop until done, summarise
 *
 * Arrows run one way: executor.c uses the others; the scheduler and the
 * loop call a placement only through aeh_placement; nothing here is used
 * by the host's lower stages (tracker, store, graph, console).
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_EXEC_H
#define AEH_EXEC_EXEC_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exec_options.h"
#include "fork_server.h"
#include "graph.h"
#include "minheap.h"
#include "output.h"
#include "relay.h"
#include "tracker.h"

#define AEH_EXEC_NONE SIZE_MAX
#define AEH_EXEC_BAILED_NO_REASON "bailed out"

typedef struct aeh_placement aeh_placement;

typedef enum aeh_node_state {
  AEH_NODE_WAITING, /* parents not all resolved */
  AEH_NODE_READY,   /* in the ready heap */
  AEH_NODE_RUNNING,
  AEH_NODE_DONE, /* resolved: see `result` */
} aeh_node_state;

/* One action, by its position in run order. */
/* Members ordered so that none pads: 40 bytes, not 56 (100,000 actions
 * are 1.6 MB less to touch, 390 page faults). */
typedef struct aeh_node {
  aeh_action *action;
  size_t need;  /* parents not yet resolved */
  size_t blame; /* the failed action (position) that stops this one */
  aeh_node_state state;
  uint32_t result; /* an aero_run_state once resolved */
  uint32_t looked; /* 1 + its slot in aeh_exec.looked while a batch
                      lookup's answer waits for it; 0: none */
  bool bad;        /* its dependents must not run */
  bool direct;     /* `blame` is a parent, not a further ancestor */
  bool released;   /* its dependents were let go (scheduler.c) */
  bool detached;   /* --detach: submitted, not followed; resolved ok */
} aeh_node;

/* One action being carried out by a placement. */
typedef struct aeh_slot {
  bool busy;
  size_t pos;
  pid_t pid;       /* its process group, for signals; 0 while not yet known */
  uint64_t ticket; /* its fork server start (fork_server.h), or 0 */
  aeh_run *run;
  aeh_relay_conn relay; /* its tracker calls, then "returned" (relay.h) */
  aeh_linebuf out;      /* -j > 1: the child's stdout, prefixed line by line */
  aeh_linebuf err;
  double started;  /* monotonic */
  double deadline; /* monotonic; 0 for none */
  double kill_at;  /* monotonic; 0 for none */
  bool timed_out;
  int forwarded; /* the interrupt signal sent to it, or 0 */
} aeh_slot;

/* A batch lookup's answer for one action, until aeh_reuse_try takes it
 * (reuse_batch.c). */
typedef struct aeh_looked {
  aeh_run *preview; /* owned; NULL: no answer waits */
  int64_t run_id;          /* the run to reuse, 0 for none */
  int64_t ended_ns;
  double at; /* monotonic, when answered */
} aeh_looked;

typedef struct aeh_exec {
  aero_graph *graph;
  aeh_store *store;
  const aeh_session *session;
  const aeh_exec_options *opts;
  const aeh_placement *place; /* where runnable actions go */
  void *place_state;          /* the placement's own, from open to close */
  size_t n;
  aeh_node *nodes;
  size_t *child_start; /* CSR of children, by position */
  size_t *children;
  size_t *pos_of; /* insertion index -> position */
  aeh_minheap ready;
  aeh_slot *slots;
  size_t slot_count;
  size_t running;
  bool capture;        /* -j > 1: children's output through pipes */
  struct pollfd *pfds; /* scratch for the loop */
  aeh_linebuf **pfd_buf;
  aeh_slot **pfd_slot; /* the slot whose relay a pollfd is, or NULL */
  int sig_r, sig_w;    /* self-pipe */
  /* Why nothing new starts. */
  bool stop; /* an action failed and -k is off */
  size_t first_failure;
  bool bailed;
  char bail_reason[AERO_ERROR_MESSAGE_MAX];
  int interrupted; /* SIGINT or SIGTERM received */
  sig_atomic_t interrupts_handled;
  int reset[32]; /* signals the child must set back to default */
  size_t reset_count;
  bool infra;              /* the store failed: exit 2 */
  aeh_fork_server *server; /* forks the actions' processes; NULL: we do */
  size_t ok, failed, skipped, reused;
  size_t submitted; /* --detach: jobs submitted and not followed */
  bool reuses;      /* the backend can find past runs to reuse */
  /* What each action's run here made or reused, for its dependents
   * (made.h). */
  struct aeh_made *made;
  /* Reused runs decided and not yet recorded (reuse.h). */
  aeh_reused *pending;
  size_t pending_count, pending_cap;
  /* Answers of batch lookups waiting for their actions, each in a slot
   * its node names (aeh_node.looked); a free slot's preview is NULL.
   * NULL until the first (reuse_batch.c). */
  aeh_looked *looked;
  size_t looked_cap;
  uint32_t *looked_free; /* free slots, a stack */
  size_t looked_free_count;
  /* The arrays one batch lookup uses, kept for the next (reuse_batch.c). */
  struct aeh_look_space *look_space;
  /* The runs this execution began, for the summary line. */
  int64_t first_run, last_run;
  size_t runs_begun;
  /* The OOM killer's kills in the host's memory cgroup (oom.h), as last
   * read: one more when an action died of SIGKILL is that action's. */
  uint64_t oom_kills;
} aeh_exec;

/* Monotonic seconds, for deadlines and durations. */
double aeh_exec_now(void);
/* Wall-clock nanoseconds, for run records. */
int64_t aeh_exec_wall_ns(void);
/* Counts run `id` as one of this execution's (for the summary line). */
void aeh_exec_count_run(aeh_exec *ex, int64_t id);

#endif /* AEH_EXEC_EXEC_H */
