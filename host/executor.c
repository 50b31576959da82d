/* Running a validated graph: one tracked run per selected action, each in a
 * forked child by default, scheduled by one poll() loop.
 *
 * The host process records every run (aeh_run_begin before the fork,
 * aeh_run_end once the child is done) and serves the child's tracker calls
 * over its relay (relay.h); the child runs the action and reports
 * "returned, with this status and message" on the same stream. An exit
 * without that report is an exit() in plugin code; a signal is a crash; a
 * passed deadline is a timeout. The loop waits on a self-pipe written by
 * the SIGCHLD / SIGINT / SIGTERM handlers, the fork server's socket, the
 * relays and, with -j > 1, the children's stdout and stderr pipes, with a
 * poll timeout for the nearest deadline: no sleeping, no busy polling. */
#include "executor.h"
#include "fork_server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "executor_output.h"
#include "relay.h"
#include "minheap.h"

/* After SIGTERM for a timeout, the action's process group gets this long to
 * exit before SIGKILL; after a forwarded Ctrl-C / SIGTERM, a bit longer. */
#define TIMEOUT_GRACE_S 1.0
#define INTERRUPT_GRACE_S 5.0

#define NONE SIZE_MAX
#define BAILED_NO_REASON "bailed out"

typedef enum node_state {
  NODE_WAITING, /* parents not all resolved */
  NODE_READY,   /* in the ready heap */
  NODE_RUNNING,
  NODE_DONE, /* resolved: see `result` */
} node_state;

/* One action, by its position in run order. */
typedef struct node {
  aeh_action *action;
  size_t need; /* parents not yet resolved */
  node_state state;
  uint32_t result; /* an aero_run_state once resolved */
  bool bad;        /* its dependents must not run */
  size_t blame;    /* the failed action (position) that stops this one */
  bool direct;     /* `blame` is a parent, not a further ancestor */
} node;

/* One running child. */
typedef struct slot {
  bool busy;
  size_t pos;
  pid_t pid;
  aeh_run *run;
  aeh_relay_conn relay; /* its tracker calls, then "returned" (relay.h) */
  aeh_linebuf out; /* -j > 1: the child's stdout, prefixed line by line */
  aeh_linebuf err;
  double started;  /* monotonic */
  double deadline; /* monotonic; 0 for none */
  double kill_at;  /* monotonic; 0 for none */
  bool timed_out;
  int forwarded; /* the interrupt signal sent to it, or 0 */
} slot;

typedef struct exec {
  aero_graph *graph;
  aeh_store *store;
  const aeh_session *session;
  const aeh_exec_options *opts;
  size_t n;
  node *nodes;
  size_t *child_start; /* CSR of children, by position */
  size_t *children;
  size_t *pos_of; /* insertion index -> position */
  aeh_minheap ready;
  slot *slots;
  size_t slot_count;
  size_t running;
  bool capture;        /* -j > 1: children's output through pipes */
  struct pollfd *pfds; /* scratch for the loop */
  aeh_linebuf **pfd_buf;
  slot **pfd_slot; /* the slot whose relay a pollfd is, or NULL */
  int sig_r, sig_w; /* self-pipe */
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
  size_t ok, failed, skipped;
} exec;

/* ------------------------------------------------------------- helpers */

static double now_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* "SIGSEGV", or "signal 42" for one without a name. */
static void signal_name(int sig, char *buf, size_t size) {
  const char *abbrev = sigabbrev_np(sig);
  if (abbrev != NULL)
    snprintf(buf, size, "SIG%s", abbrev);
  else
    snprintf(buf, size, "signal %d", sig);
}

static void label_of(const aeh_action *a, char *buf, size_t size) {
  snprintf(buf, size, "[%s] %s", a->job_type, a->outputs[0]);
}

/* ------------------------------------------------------------- signals */

static int signal_pipe_w = -1;
/* Ctrl-C / SIGTERM received so far, and the last one: read between events
 * too, so that none is lost or acted on late (the pipe only wakes poll). */
static volatile sig_atomic_t interrupts_received;
static volatile sig_atomic_t last_interrupt;

static void on_signal(int sig) {
  int saved = errno;
  if (sig != SIGCHLD) {
    last_interrupt = sig;
    interrupts_received = interrupts_received + 1;
  }
  unsigned char byte = (unsigned char)sig;
  ssize_t w = write(signal_pipe_w, &byte, 1); /* full pipe: already awake */
  (void)w;
  errno = saved;
}

typedef struct saved_handlers {
  struct sigaction chld, intr, term, pipe;
} saved_handlers;

static void install_handlers(bool isolate, saved_handlers *saved) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT); /* the counter is not updated nested */
  sigaddset(&sa.sa_mask, SIGTERM);
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, &saved->chld);
  /* A reader of our stdout going away (aerohost run -j 2 | head) must not
   * kill the host in the middle of recording runs: the lost lines are
   * dropped instead. */
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &saved->pipe);
  /* In-process runs (--no-isolation) keep the default Ctrl-C: nothing
   * could interrupt a plugin that runs on the host's own stack. */
  if (isolate) {
    sigaction(SIGINT, &sa, &saved->intr);
    sigaction(SIGTERM, &sa, &saved->term);
  }
}

static void restore_handlers(bool isolate, const saved_handlers *saved) {
  if (isolate) {
    sigaction(SIGTERM, &saved->term, NULL);
    sigaction(SIGINT, &saved->intr, NULL);
  }
  sigaction(SIGPIPE, &saved->pipe, NULL);
  sigaction(SIGCHLD, &saved->chld, NULL);
}

/* ------------------------------------------------------------ resolving */

static const char *result_verb(uint32_t result) {
  switch (result) {
  case AERO_RUN_CRASHED:
    return "crashed";
  case AERO_RUN_TIMED_OUT:
    return "timed out";
  case AERO_RUN_KILLED:
    return "was killed";
  default:
    return "failed";
  }
}

/* Marks position `p` resolved and releases its dependents. */
static void resolve(exec *ex, size_t p, uint32_t result, bool bad) {
  node *nd = &ex->nodes[p];
  nd->state = NODE_DONE;
  nd->result = result;
  nd->bad = bad;
  for (size_t c = ex->child_start[p]; c < ex->child_start[p + 1]; c++) {
    node *child = &ex->nodes[ex->children[c]];
    if (bad && child->blame == NONE) {
      /* Point at the action that actually failed, not at a skipped one. */
      child->blame = nd->blame != NONE ? nd->blame : p;
      child->direct = nd->blame == NONE;
    }
    if (--child->need == 0 && child->state == NODE_WAITING) {
      child->state = NODE_READY;
      aeh_minheap_push(&ex->ready, ex->children[c]);
    }
  }
}

/* Skips position `p` with a banner and, when `record`, a SKIPPED run. */
static void skip(exec *ex, size_t p, const char *why, bool record, bool bad) {
  node *nd = &ex->nodes[p];
  char label[512];
  label_of(nd->action, label, sizeof label);
  aeh_console_banner(AEH_BANNER_SKIPPED, p + 1, ex->n, label, why);
  if (record) {
    aero_error err = AEH_ERROR_INIT;
    if (aeh_run_record_skipped(ex->store, ex->session, nd->action, why, &err) !=
        AERO_OK) {
      aeh_console_error("recording the skipped run of %s: %s", label,
                        err.message);
      ex->infra = true;
    }
  }
  ex->skipped++;
  resolve(ex, p, AERO_RUN_SKIPPED, bad);
}

/* Records how a run ended, prints its banner, and resolves it. Takes
 * `run`. */
static void complete(exec *ex, size_t p, aeh_run *run,
                     aero_run_outcome *outcome, double started) {
  node *nd = &ex->nodes[p];
  char label[512];
  label_of(nd->action, label, sizeof label);
  outcome->struct_size = sizeof *outcome;
  outcome->ended_ns = now_wall_ns();
  aero_error err = AEH_ERROR_INIT;
  int64_t run_id = aeh_run_id(run);
  aero_status recorded = aeh_run_end(run, outcome, &err);
  aeh_run_free(run);
  if (recorded != AERO_OK) {
    /* Whatever the action did, its outcome (and outputs) are not in the
     * store: the host's failure, exit 2. */
    char detail[AERO_ERROR_MESSAGE_MAX + 96];
    snprintf(detail, sizeof detail, "recording the run failed: %s (run %lld)",
             err.message, (long long)run_id);
    aeh_console_banner(AEH_BANNER_FAILED, p + 1, ex->n, label, detail);
    ex->infra = true;
    ex->failed++;
    resolve(ex, p, AERO_RUN_FAILED, true);
    return;
  }

  uint32_t state = outcome->state;
  if (state == AERO_RUN_OK) {
    char took[64];
    snprintf(took, sizeof took, "%.2f s", now_mono() - started);
    aeh_console_banner(AEH_BANNER_OK, p + 1, ex->n, label, took);
    ex->ok++;
    resolve(ex, p, state, false);
    return;
  }
  if (state == AERO_RUN_BAILED) {
    /* aero_bailout keeps its reason in the run's log; the action may also
     * have set one in its error. */
    bool reason = outcome->message != NULL &&
                  strcmp(outcome->message, BAILED_NO_REASON) != 0;
    if (!ex->bailed && reason)
      snprintf(ex->bail_reason, sizeof ex->bail_reason, "%s: %s", label,
               outcome->message);
    else if (!ex->bailed)
      snprintf(ex->bail_reason, sizeof ex->bail_reason,
               "%s called aero_bailout", label);
    ex->bailed = true;
    resolve(ex, p, state, true);
    return;
  }
  char detail[AERO_ERROR_MESSAGE_MAX + 64];
  snprintf(detail, sizeof detail, "%s (run %lld)",
           outcome->message != NULL ? outcome->message : "failed",
           (long long)run_id);
  aeh_console_banner(AEH_BANNER_FAILED, p + 1, ex->n, label, detail);
  ex->failed++;
  if (!ex->stop && !ex->opts->keep_going) {
    ex->stop = true;
    ex->first_failure = p;
  }
  resolve(ex, p, state, true);
}

/* The store itself failing is the host's problem (exit 2); anything else
 * aeh_run_begin refuses (an input that does not exist, a bad override) is
 * this action's failure. */
static bool infra_status(aero_status status) {
  return status == AERO_E_STORE || status == AERO_E_NOMEM ||
         status == AERO_E_IO || status == AERO_E_NOSPACE;
}

/* Maps how the child ended onto an outcome; `msg` holds its message. */
static void outcome_of(const slot *s, const aeh_relay_conn *rec, bool returned,
                       int wstatus, double timeout_s, aero_run_outcome *o,
                       char *msg, size_t size) {
  char sig[32];
  o->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  o->signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
  o->message = msg;
  msg[0] = '\0';
  if (returned && rec->code == AERO_OK && WIFEXITED(wstatus) &&
      WEXITSTATUS(wstatus) == 0) {
    o->state = AERO_RUN_OK;
    o->message = NULL;
  } else if (s->timed_out) {
    o->state = AERO_RUN_TIMED_OUT;
    snprintf(msg, size, "timed out after %g s", timeout_s);
  } else if (s->forwarded != 0) {
    o->state = AERO_RUN_KILLED;
    signal_name(s->forwarded, sig, sizeof sig);
    snprintf(msg, size, "interrupted by %s", sig);
  } else if (returned && rec->code == AERO_E_BAILOUT) {
    o->state = AERO_RUN_BAILED;
    snprintf(msg, size, "%s",
             rec->message[0] ? rec->message : BAILED_NO_REASON);
  } else if (returned && rec->code != AERO_OK) {
    o->state = AERO_RUN_FAILED;
    snprintf(msg, size, "%s",
             rec->message[0] ? rec->message
                             : aero_status_str((aero_status)rec->code));
  } else if (WIFSIGNALED(wstatus)) {
    o->state = AERO_RUN_CRASHED;
    signal_name(WTERMSIG(wstatus), sig, sizeof sig);
    snprintf(msg, size, "crashed with %s", sig);
  } else {
    o->state = AERO_RUN_FAILED;
    snprintf(msg, size, "action called exit(%d)", o->exit_code);
  }
}

/* ---------------------------------------------------------------- child */

/* The dispositions the host changed or a sanitizer installed: an action
 * starts with the defaults, so that a segfault kills it with SIGSEGV. */
static const int reset_signals[] = {
    SIGINT,  SIGTERM, SIGCHLD, SIGPIPE, SIGHUP,  SIGQUIT,
    SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,  SIGABRT, SIGTRAP,
    SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU, SIGXFSZ, SIGSYS,
};

/* Calls the action's run with its tracker. An action that called
 * aero_bailout ends as a bailout whatever it returned, with the reason it
 * gave unless it set a message of its own. */
static aero_status call_action(aeh_action *a, aeh_run *run, aero_error *err) {
  aero_tracker *tracker = aeh_run_tracker(run);
  aero_status status = a->run(a->data, tracker, err);
  if (tracker != NULL && aeh_tracker_bailed(tracker)) {
    status = AERO_E_BAILOUT;
    const char *why = aeh_tracker_bail_reason(tracker);
    if (err->message[0] == '\0' && why != NULL)
      aeh_error_set_message(err, status, why);
  }
  return status;
}

/* When plugin code calls exit() in an action's process, the host's own
 * exit handlers (and a sanitizer's leak check of the host's abandoned
 * state) must not run there: flush what the action printed and leave with
 * the action's own status. Registered once, in the host, before any
 * action's process exists, so that none pays for registering it (a write
 * to a page it shares copy-on-write); in the host itself it does nothing. */
static pid_t on_exit_host;

static void child_on_exit(int status, void *unused) {
  (void)unused;
  if (getpid() == on_exit_host)
    return;
  fflush(NULL);
  _exit(status);
}

static void register_child_on_exit(void) {
  if (on_exit_host != 0)
    return;
  on_exit_host = getpid();
  on_exit(child_on_exit, NULL);
}

/* What an action's process does first: its own process group, default
 * signal dispositions, nothing of the host's event loop (whose pipe ends
 * are `sig_r` and `sig_w`, or -1 when the fork server closed them). */
static void child_prepare(const exec *ex, int sig_r, int sig_w) {
  setpgid(0, 0);
  /* sigaction and sigprocmask, not signal(): the host already called
   * these, so the child does not pay for resolving new symbols. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (size_t i = 0; i < ex->reset_count; i++)
    sigaction(ex->reset[i], &dfl, NULL);
  sigprocmask(SIG_SETMASK, &dfl.sa_mask, NULL);
  if (sig_r >= 0) {
    close(sig_r);
    close(sig_w);
  }
}

/* Runs the action at position `pos` with `run` and leaves with how it
 * ended. `own` is its slot when this process was forked by the host,
 * whose other actions' pipes it must not keep; NULL when forked by the
 * server, which holds none. Writes nothing of the executor's state: the
 * process shares those pages with its parent, and a write would copy. */
static _Noreturn void child_run(exec *ex, size_t pos, aeh_run *run,
                                const slot *own, int relay_w, int out_w,
                                int err_w) {
  for (size_t i = 0; own != NULL && i < ex->slot_count; i++) {
    slot *other = &ex->slots[i];
    if (!other->busy || other == own)
      continue;
    close(other->relay.fd);
    aeh_linebuf_close(&other->out);
    aeh_linebuf_close(&other->err);
  }
  if (out_w >= 0) {
    dup2(out_w, STDOUT_FILENO);
    dup2(err_w, STDERR_FILENO);
    close(out_w);
    close(err_w);
    aeh_console_set_plain();
  }
  aeh_store_relay_to(ex->store, relay_w);

  aero_error err = AEH_ERROR_INIT;
  aero_status status = call_action(ex->nodes[pos].action, run, &err);
  fflush(NULL); /* _exit skips stdio: keep what the action printed */
  /* A host that is gone cannot read it: nothing to do about a failure. */
  (void)aeh_relay_send_returned(relay_w, status,
                                status != AERO_OK ? err.message : NULL);
  /* End of stream now, with the report, not when exit closes the socket
   * (nor never, should the action have left a process holding it). */
  shutdown(relay_w, SHUT_WR);
  _exit(status == AERO_OK ? 0 : 1);
}

/* A child this process forked itself (no fork server). */
static _Noreturn void child_main(exec *ex, slot *s, const int relay_pair[2],
                                 const int out_pipe[2], const int err_pipe[2]) {
  close(relay_pair[0]);
  if (out_pipe[0] >= 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
  }
  child_prepare(ex, ex->sig_r, ex->sig_w);
  child_run(ex, s->pos, s->run, s, relay_pair[1], out_pipe[1], err_pipe[1]);
}

/* What the fork server's child runs (see fork_server.h): the same as a
 * child forked here, from the server's copy of this executor. */
static void server_child(void *ctx, size_t pos, aeh_run *run, int relay_w,
                         int out_w, int err_w) {
  exec *ex = ctx;
  /* The server closed the host's signal pipe: its numbers may name other
   * descriptors now. */
  child_prepare(ex, -1, -1);
  child_run(ex, pos, run, NULL, relay_w, out_w, err_w);
}

static const aeh_action *server_action(void *ctx, size_t pos) {
  exec *ex = ctx;
  return pos < ex->n ? ex->nodes[pos].action : NULL;
}

/* Starts the fork server, once, before any action's pipes exist (the
 * server must hold none of them, or the host would never see their end of
 * file). Should it not start, this process forks the actions itself. */
static void start_server(exec *ex) {
  fflush(NULL);
  const int keep_out[] = {ex->sig_r, ex->sig_w};
  int e =
      aeh_fork_server_start(&ex->server, ex->store, ex->session, server_action,
                            server_child, ex, keep_out, AERO_COUNT(keep_out));
  if (e != 0 && ex->opts->debug)
    aeh_console_info("no fork server (%s): forking actions directly",
                     strerror(e));
}

/* True when some action is selected to run (else no process will start). */
static bool any_selected(const exec *ex) {
  for (size_t p = 0; p < ex->n; p++)
    if (ex->nodes[p].action->selected)
      return true;
  return false;
}

/* ---------------------------------------------------------------- start */

static slot *free_slot(exec *ex) {
  for (size_t i = 0; i < ex->slot_count; i++)
    if (!ex->slots[i].busy)
      return &ex->slots[i];
  return NULL;
}

/* Runs the action in the host process (--no-isolation). */
static void run_inline(exec *ex, size_t p, aeh_run *run, double started) {
  aero_error err = AEH_ERROR_INIT;
  aero_status status = call_action(ex->nodes[p].action, run, &err);
  aero_run_outcome o = {.exit_code = status == AERO_OK ? 0 : 1};
  char msg[AERO_ERROR_MESSAGE_MAX];
  snprintf(msg, sizeof msg, "%s",
           err.message[0] ? err.message : aero_status_str(status));
  o.message = msg;
  if (status == AERO_OK) {
    o.state = AERO_RUN_OK;
    o.message = NULL;
  } else if (status == AERO_E_BAILOUT) {
    o.state = AERO_RUN_BAILED;
    if (err.message[0] == '\0')
      snprintf(msg, sizeof msg, BAILED_NO_REASON);
  } else {
    o.state = AERO_RUN_FAILED;
  }
  complete(ex, p, run, &o, started);
}

static void start(exec *ex, size_t p) {
  node *nd = &ex->nodes[p];
  char label[512];
  label_of(nd->action, label, sizeof label);
  aeh_console_banner(AEH_BANNER_RUNNING, p + 1, ex->n, label, NULL);
  double started = now_mono();

  aeh_run *run = NULL;
  aero_error err = AEH_ERROR_INIT;
  aero_status status =
      aeh_run_begin(ex->store, ex->session, ex->graph, nd->action, &run, &err);
  if (status != AERO_OK) {
    char detail[AERO_ERROR_MESSAGE_MAX + 64];
    snprintf(detail, sizeof detail, "%s%s",
             infra_status(status) ? "recording the run failed: " : "",
             err.message);
    aeh_console_banner(AEH_BANNER_FAILED, p + 1, ex->n, label, detail);
    ex->infra |= infra_status(status);
    ex->failed++;
    if (!ex->stop && !ex->opts->keep_going) {
      ex->stop = true;
      ex->first_failure = p;
    }
    resolve(ex, p, AERO_RUN_FAILED, true);
    return;
  }
  if (!ex->opts->isolate) {
    run_inline(ex, p, run, started);
    return;
  }

  slot *s = free_slot(ex);
  int relay_pair[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  const char *failed_call = NULL;
  /* The relay blocks on the child's side (it waits for each answer); the
   * host reads it without blocking. The output pipes block on the child's
   * side, as a terminal would. */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, relay_pair) != 0)
    failed_call = "socketpair";
  else if (ex->capture &&
           (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0))
    failed_call = "pipe";
  pid_t pid = -1;
  if (failed_call == NULL && ex->server != NULL) {
    int e = aeh_fork_server_spawn(ex->server, p, run, relay_pair[1],
                                  out_pipe[1], err_pipe[1], &pid);
    if (e != 0) {
      errno = e;
      failed_call = "fork server";
    }
  } else if (failed_call == NULL) {
    fflush(NULL); /* or the child would print the host's buffered output */
    pid = fork();
    if (pid < 0)
      failed_call = "fork";
  }
  if (pid == 0) {
    s->busy = true; /* so child_main knows which slot is its own */
    s->pos = p;
    s->run = run;
    child_main(ex, s, relay_pair, out_pipe, err_pipe);
  }
  int saved_errno = errno;
  if (relay_pair[1] >= 0)
    close(relay_pair[1]);
  if (out_pipe[1] >= 0)
    close(out_pipe[1]);
  if (err_pipe[1] >= 0)
    close(err_pipe[1]);
  if (failed_call != NULL) {
    if (relay_pair[0] >= 0)
      close(relay_pair[0]);
    if (out_pipe[0] >= 0)
      close(out_pipe[0]);
    if (err_pipe[0] >= 0)
      close(err_pipe[0]);
    char msg[256];
    snprintf(msg, sizeof msg, "could not start the action's process: %s: %s",
             failed_call, strerror(saved_errno));
    aero_run_outcome o = {
        .state = AERO_RUN_FAILED, .exit_code = -1, .message = msg};
    aeh_console_error("%s", msg);
    ex->infra = true;
    complete(ex, p, run, &o, started);
    return;
  }
  /* Both sides set the group, so that it exists before either relies on
   * it; the child's own call may already have made this one fail. */
  setpgid(pid, pid);
  s->busy = true;
  s->pos = p;
  s->pid = pid;
  s->run = run;
  aeh_relay_conn_open(&s->relay, relay_pair[0], aeh_run_id(run), label);
  s->started = started;
  s->deadline = ex->opts->timeout_s > 0 ? started + ex->opts->timeout_s : 0;
  s->kill_at = 0;
  s->timed_out = false;
  s->forwarded = 0;
  if (ex->capture) {
    char prefix[512];
    snprintf(prefix, sizeof prefix, "[%s %s] ", nd->action->job_type,
             nd->action->outputs[0]);
    aeh_linebuf_open(&s->out, out_pipe[0], STDOUT_FILENO, prefix);
    aeh_linebuf_open(&s->err, err_pipe[0], STDERR_FILENO, prefix);
  }
  nd->state = NODE_RUNNING;
  ex->running++;
  if (ex->opts->debug)
    aeh_console_info("%s: run %lld in process %ld", label,
                     (long long)aeh_run_id(run), (long)pid);
}

/* The child was reaped: read its report, finish its output, record. */
static void finish(exec *ex, slot *s, int wstatus) {
  /* Whatever it sent before it exited (its last calls, its report) is
   * served before the run is recorded; a grandchild still holding the
   * socket open must not stall the host, so nothing more is waited for. */
  aeh_relay_conn_serve(&s->relay, ex->store);
  aeh_relay_conn_close(&s->relay);
  aeh_relay_conn *rec = &s->relay;
  bool returned = rec->returned;
  if (rec->unrecorded > 0)
    ex->infra = true; /* said as it happened; the run is incomplete */
  if (ex->capture) {
    /* Whatever the child wrote before it exited is in the pipes now; a
     * grandchild still holding them open must not stall the host. */
    aeh_linebuf_drain(&s->out);
    aeh_linebuf_drain(&s->err);
    aeh_linebuf_close(&s->out);
    aeh_linebuf_close(&s->err);
  }
  char msg[AERO_ERROR_MESSAGE_MAX + 64];
  aero_run_outcome o = {0};
  outcome_of(s, rec, returned, wstatus, ex->opts->timeout_s, &o, msg,
             sizeof msg);
  if (ex->opts->debug) {
    char how[64];
    if (WIFSIGNALED(wstatus))
      signal_name(WTERMSIG(wstatus), how, sizeof how);
    else
      snprintf(how, sizeof how, "exit %d", WEXITSTATUS(wstatus));
    aeh_console_info("process %ld ended (%s, %s)", (long)s->pid, how,
                     returned ? "returned" : "did not return");
  }
  s->busy = false;
  ex->running--;
  complete(ex, s->pos, s->run, &o, s->started);
  s->run = NULL;
}

/* ----------------------------------------------------------------- loop */

/* Serves what the action's process sent. When it reported "returned" and
 * then closed the relay, it is on its way out through _exit with the
 * status child_run gives it: the run is finished now rather than after
 * the fork server reaps it and says so, one process hand-over less per
 * action (the server's later report of that pid is ignored). A process
 * forked here must be reaped here, so it waits for SIGCHLD. */
static void serve_relay(exec *ex, slot *s) {
  if (aeh_relay_conn_serve(&s->relay, ex->store) || !s->relay.returned ||
      ex->server == NULL)
    return;
  finish(ex, s, W_EXITCODE(s->relay.code == AERO_OK ? 0 : 1, 0));
}

static void interrupt(exec *ex, int sig, double now) {
  char name[32];
  signal_name(sig, name, sizeof name);
  if (ex->interrupted) {
    /* A second Ctrl-C: no more patience. */
    for (size_t i = 0; i < ex->slot_count; i++)
      if (ex->slots[i].busy)
        kill(-ex->slots[i].pid, SIGKILL);
    return;
  }
  ex->interrupted = sig;
  if (ex->running > 0)
    aeh_console_warn("%s: stopping %zu running action%s", name, ex->running,
                     ex->running == 1 ? "" : "s");
  for (size_t i = 0; i < ex->slot_count; i++) {
    slot *s = &ex->slots[i];
    if (!s->busy)
      continue;
    kill(-s->pid, sig);
    s->forwarded = sig;
    if (s->kill_at == 0 || s->kill_at > now + INTERRUPT_GRACE_S)
      s->kill_at = now + INTERRUPT_GRACE_S;
  }
}

/* Acts on every Ctrl-C / SIGTERM received since the last call. */
static void check_interrupts(exec *ex) {
  while (ex->interrupts_handled != interrupts_received) {
    ex->interrupts_handled++;
    interrupt(ex, last_interrupt, now_mono());
  }
}

/* Starts or resolves everything that can go now, earliest position first,
 * so that with -j 1 the banners follow the run order exactly. */
static void schedule(exec *ex) {
  while (ex->ready.count > 0) {
    check_interrupts(ex); /* one may have come during the last record */
    size_t p = aeh_minheap_peek(&ex->ready);
    node *nd = &ex->nodes[p];
    char why[1100], label[512];
    if (!nd->action->selected) {
      aeh_minheap_pop(&ex->ready);
      skip(ex, p,
           "not selected by --only (its outputs resolve to the latest "
           "version)",
           false, false);
      continue;
    }
    if (ex->interrupted || ex->bailed || ex->infra) {
      /* Quietly: the one line saying why comes at the end. */
      aeh_minheap_pop(&ex->ready);
      ex->skipped++;
      resolve(ex, p, AERO_RUN_SKIPPED, false);
      continue;
    }
    if (nd->blame != NONE) {
      aeh_minheap_pop(&ex->ready);
      const node *culprit = &ex->nodes[nd->blame];
      label_of(culprit->action, label, sizeof label);
      snprintf(why, sizeof why, "%s %s %s", nd->direct ? "parent" : "ancestor",
               label, result_verb(culprit->result));
      skip(ex, p, why, true, true);
      continue;
    }
    if (ex->stop) {
      aeh_minheap_pop(&ex->ready);
      label_of(ex->nodes[ex->first_failure].action, label, sizeof label);
      snprintf(why, sizeof why, "not started after %s %s (-k keeps going)",
               label, result_verb(ex->nodes[ex->first_failure].result));
      skip(ex, p, why, true, false);
      continue;
    }
    if (ex->opts->isolate && ex->running >= ex->slot_count)
      break;
    aeh_minheap_pop(&ex->ready);
    start(ex, p);
  }
}

/* Finishes every action whose end the fork server reported. If the server
 * died, its actions died with it (they are killed with their parent): they
 * are finished as killed and the run ends as an infrastructure failure. */
static void reap_from_server(exec *ex) {
  pid_t pid;
  int wstatus;
  bool lost = false;
  while (aeh_fork_server_next_exit(ex->server, &pid, &wstatus, &lost)) {
    for (size_t i = 0; i < ex->slot_count; i++) {
      slot *s = &ex->slots[i];
      if (s->busy && s->pid == pid) {
        finish(ex, s, wstatus);
        break;
      }
    }
  }
  if (!lost)
    return;
  aeh_console_error("the process that starts actions died: stopping");
  ex->infra = true;
  for (size_t i = 0; i < ex->slot_count; i++) {
    slot *s = &ex->slots[i];
    if (s->busy) {
      kill(-s->pid, SIGKILL);
      finish(ex, s, SIGKILL); /* a wait status: killed by SIGKILL */
    }
  }
}

/* Waits for the next event (a signal, output, a deadline) and handles it. */
static void wait_events(exec *ex) {
  double now = now_mono();
  double next = 0;
  size_t nfds = 0;
  ex->pfds[nfds] = (struct pollfd){.fd = ex->sig_r, .events = POLLIN};
  ex->pfd_slot[nfds] = NULL;
  ex->pfd_buf[nfds++] = NULL;
  size_t server_at = 0;
  if (ex->server != NULL) {
    server_at = nfds;
    ex->pfds[nfds] =
        (struct pollfd){.fd = aeh_fork_server_fd(ex->server), .events = POLLIN};
    ex->pfd_slot[nfds] = NULL;
    ex->pfd_buf[nfds++] = NULL;
  }
  for (size_t i = 0; i < ex->slot_count; i++) {
    slot *s = &ex->slots[i];
    if (!s->busy)
      continue;
    if (s->deadline > 0 && !s->timed_out && (next == 0 || s->deadline < next))
      next = s->deadline;
    if (s->kill_at > 0 && (next == 0 || s->kill_at < next))
      next = s->kill_at;
    if (s->relay.fd >= 0) {
      ex->pfds[nfds] = (struct pollfd){.fd = s->relay.fd, .events = POLLIN};
      ex->pfd_slot[nfds] = s;
      ex->pfd_buf[nfds++] = NULL;
    }
    aeh_linebuf *bufs[2] = {&s->out, &s->err};
    for (size_t k = 0; k < 2; k++) {
      if (ex->capture && bufs[k]->fd >= 0) {
        ex->pfds[nfds] = (struct pollfd){.fd = bufs[k]->fd, .events = POLLIN};
        ex->pfd_slot[nfds] = NULL;
        ex->pfd_buf[nfds++] = bufs[k];
      }
    }
  }
  int timeout_ms = -1;
  if (next > 0)
    timeout_ms = next <= now ? 0 : (int)ceil((next - now) * 1000.0);
  int ready = poll(ex->pfds, (nfds_t)nfds, timeout_ms);
  bool reap = ready == 0; /* a deadline: someone may have died meanwhile */
  if (ready > 0) {
    if (ex->pfds[0].revents != 0) {
      unsigned char sigs[64];
      ssize_t got;
      while ((got = read(ex->sig_r, sigs, sizeof sigs)) > 0) {
        for (ssize_t k = 0; k < got; k++)
          reap |= sigs[k] == SIGCHLD;
      }
    }
    if (server_at != 0 && ex->pfds[server_at].revents != 0)
      reap = true;
    for (size_t k = 1; k < nfds; k++)
      if (ex->pfd_buf[k] != NULL && ex->pfds[k].revents != 0)
        aeh_linebuf_read(ex->pfd_buf[k]);
    for (size_t k = 1; k < nfds; k++)
      if (ex->pfd_slot[k] != NULL && ex->pfds[k].revents != 0)
        serve_relay(ex, ex->pfd_slot[k]);
  }
  check_interrupts(ex);

  now = now_mono();
  for (size_t i = 0; i < ex->slot_count; i++) {
    slot *s = &ex->slots[i];
    if (!s->busy)
      continue;
    if (s->deadline > 0 && !s->timed_out && now >= s->deadline) {
      s->timed_out = true;
      kill(-s->pid, SIGTERM);
      s->kill_at = now + TIMEOUT_GRACE_S;
    } else if (s->kill_at > 0 && now >= s->kill_at) {
      kill(-s->pid, SIGKILL);
      s->kill_at = 0;
    }
  }
  if (!reap)
    return;
  if (ex->server != NULL) {
    reap_from_server(ex);
    return;
  }
  for (size_t i = 0; i < ex->slot_count; i++) {
    slot *s = &ex->slots[i];
    int wstatus;
    if (s->busy && waitpid(s->pid, &wstatus, WNOHANG) == s->pid)
      finish(ex, s, wstatus);
  }
}

/* -------------------------------------------------------------- dry run */

static int dry_run(const aero_graph *graph, const aeh_exec_options *opts) {
  size_t n = aeh_graph_count(graph), selected = 0;
  for (size_t i = 0; i < n; i++)
    selected += aeh_graph_at(graph, i)->selected;
  printf("Plan for %s: %zu action%s, %zu to run, %zu skipped",
         aeh_graph_project(graph), n, n == 1 ? "" : "s", selected,
         n - selected);
  if (opts->jobs > 1)
    printf(", up to %u at once", opts->jobs);
  if (opts->timeout_s > 0)
    printf(", timeout %g s each", opts->timeout_s);
  printf("\n");
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    printf("  [%zu/%zu] %s [%s] %s", i + 1, n, a->selected ? "run " : "skip",
           a->job_type, a->outputs[0]);
    if (!a->selected)
      printf(": not selected by --only (its outputs resolve to the latest "
             "version)");
    else if (a->parent_count > 0) {
      printf(" <-");
      for (size_t k = 0; k < a->parent_count; k++)
        printf(" %s", a->parent_names[k]);
    }
    printf("\n");
  }
  fflush(stdout);
  return AEH_EXIT_OK;
}

/* ---------------------------------------------------------------- setup */

static bool setup(exec *ex) {
  size_t n = ex->n;
  ex->nodes = calloc(n + 1, sizeof *ex->nodes);
  ex->pos_of = malloc((n + 1) * sizeof *ex->pos_of);
  ex->child_start = calloc(n + 2, sizeof *ex->child_start);
  ex->ready.items = malloc((n + 1) * sizeof *ex->ready.items);
  ex->slot_count = ex->opts->jobs > 0 ? ex->opts->jobs : 1;
  if (!ex->opts->isolate)
    ex->slot_count = 1;
  ex->slots = calloc(ex->slot_count, sizeof *ex->slots);
  size_t max_fds = 3 * ex->slot_count + 2;
  ex->pfds = malloc(max_fds * sizeof *ex->pfds);
  ex->pfd_buf = malloc(max_fds * sizeof *ex->pfd_buf);
  ex->pfd_slot = malloc(max_fds * sizeof *ex->pfd_slot);
  if (ex->nodes == NULL || ex->pos_of == NULL || ex->child_start == NULL ||
      ex->ready.items == NULL || ex->slots == NULL || ex->pfds == NULL ||
      ex->pfd_buf == NULL || ex->pfd_slot == NULL)
    return false;
  size_t edges = 0;
  for (size_t p = 0; p < n; p++) {
    aeh_action *a = aeh_graph_at(ex->graph, p);
    ex->pos_of[a->index] = p;
    edges += a->parent_count;
  }
  ex->children = malloc((edges + 1) * sizeof *ex->children);
  if (ex->children == NULL)
    return false;
  for (size_t p = 0; p < n; p++) {
    aeh_action *a = aeh_graph_at(ex->graph, p);
    ex->nodes[p] = (node){.action = a, .blame = NONE};
    for (size_t k = 0; k < a->parent_count; k++)
      ex->child_start[ex->pos_of[a->parents[k]] + 2]++;
  }
  for (size_t i = 2; i < n + 2; i++)
    ex->child_start[i] += ex->child_start[i - 1];
  for (size_t p = 0; p < n; p++) {
    aeh_action *a = aeh_graph_at(ex->graph, p);
    for (size_t k = 0; k < a->parent_count; k++)
      ex->children[ex->child_start[ex->pos_of[a->parents[k]] + 1]++] = p;
  }
  /* An unselected action waits for nothing: its outputs resolve to what
   * already exists. Everything else waits for all of its parents. */
  for (size_t p = 0; p < n; p++) {
    node *nd = &ex->nodes[p];
    nd->need = nd->action->parent_count; /* counted down by resolve() */
    if (!nd->action->selected || nd->need == 0) {
      nd->state = NODE_READY;
      aeh_minheap_push(&ex->ready, p);
    }
  }
  for (size_t i = 0; i < ex->slot_count; i++) {
    ex->slots[i].relay.fd = -1;
    if (!aeh_linebuf_init(&ex->slots[i].out) ||
        !aeh_linebuf_init(&ex->slots[i].err))
      return false;
  }
  return true;
}

static void teardown(exec *ex) {
  if (ex->slots != NULL)
    for (size_t i = ex->slot_count; i-- > 0;) {
      aeh_linebuf_free(&ex->slots[i].err);
      aeh_linebuf_free(&ex->slots[i].out);
    }
  free(ex->children);
  free(ex->pfd_slot);
  free(ex->pfd_buf);
  free(ex->pfds);
  free(ex->slots);
  free(ex->ready.items);
  free(ex->child_start);
  free(ex->pos_of);
  free(ex->nodes);
}

int aeh_execute(aero_graph *graph, aeh_store *store, const aeh_session *session,
                const aeh_exec_options *opts) {
  if (opts->dry_run)
    return dry_run(graph, opts);
  exec ex = {.graph = graph,
             .store = store,
             .session = session,
             .opts = opts,
             .n = aeh_graph_count(graph),
             .sig_r = -1,
             .sig_w = -1,
             .first_failure = NONE};
  int code = AEH_EXIT_INFRA;
  saved_handlers saved;
  bool installed = false;
  if (!setup(&ex)) {
    aeh_console_error("out of memory preparing %zu actions", ex.n);
    goto done;
  }
  ex.capture = opts->isolate && ex.slot_count > 1;
  int sp[2];
  if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) != 0) {
    aeh_console_error("cannot create the signal pipe: %s", strerror(errno));
    goto done;
  }
  ex.sig_r = sp[0];
  ex.sig_w = sp[1];
  signal_pipe_w = ex.sig_w;
  ex.interrupts_handled = interrupts_received;
  install_handlers(opts->isolate, &saved);
  sigset_t current; /* also binds sigprocmask before the first fork */
  sigprocmask(SIG_BLOCK, NULL, &current);
  /* Only what is not already the default costs the child a syscall. */
  for (size_t i = 0; i < AERO_COUNT(reset_signals); i++) {
    struct sigaction now;
    if (sigaction(reset_signals[i], NULL, &now) == 0 &&
        now.sa_handler == SIG_DFL && !(now.sa_flags & SA_SIGINFO))
      continue;
    ex.reset[ex.reset_count++] = reset_signals[i];
  }
  installed = true;
  /* The fork server goes first, while this process holds no store state:
   * its copy (and every action's process, forked from it) is then smaller
   * to fork, and what this process writes to the store's memory afterwards
   * is its own rather than shared copy-on-write with the server. */
  if (opts->isolate)
    register_child_on_exit();
  if (opts->isolate && any_selected(&ex))
    start_server(&ex);
  aero_error connect_err = AEH_ERROR_INIT;
  if (aeh_store_connect(store, &connect_err) != AERO_OK) {
    aeh_console_error("%s", connect_err.message);
    code = AEH_EXIT_USAGE;
    goto done;
  }
  if (!opts->isolate && opts->timeout_s > 0)
    aeh_console_warn("--timeout is not enforced with --no-isolation");
  if (!opts->isolate && opts->jobs > 1)
    aeh_console_warn("--jobs is ignored with --no-isolation: actions run "
                     "one at a time in this process");

  double t0 = now_mono();
  for (;;) {
    schedule(&ex);
    if (ex.running == 0)
      break; /* schedule() resolves everything it cannot start */
    wait_events(&ex);
  }
  check_interrupts(&ex); /* during the last record: still asked to stop */
  double elapsed = now_mono() - t0;
  aeh_fork_server_stop(ex.server);
  ex.server = NULL;

  if (ex.interrupted) {
    char name[32];
    signal_name(ex.interrupted, name, sizeof name);
    aeh_console_error("interrupted by %s", name);
    aeh_console_summary(ex.ok, ex.failed, ex.skipped, elapsed);
    code = AEH_EXIT_SIGNAL + ex.interrupted;
  } else if (ex.infra) {
    aeh_console_summary(ex.ok, ex.failed, ex.skipped, elapsed);
    code = AEH_EXIT_INFRA;
  } else if (ex.bailed) {
    aeh_console_info("Bailed out: %s", ex.bail_reason);
    code = ex.failed > 0 ? AEH_EXIT_FAILED : AEH_EXIT_OK;
  } else {
    aeh_console_summary(ex.ok, ex.failed, ex.skipped, elapsed);
    code = ex.failed > 0 ? AEH_EXIT_FAILED : AEH_EXIT_OK;
  }

done:
  aeh_fork_server_stop(ex.server);
  if (installed)
    restore_handlers(opts->isolate, &saved);
  signal_pipe_w = -1;
  if (ex.sig_w >= 0)
    close(ex.sig_w);
  if (ex.sig_r >= 0)
    close(ex.sig_r);
  teardown(&ex);
  return code;
}
