/* The one way an action's process is started, and the two placements built
 * on it (placement.h): aeh_place_process forks each action (through the
 * fork server, or directly should the server not start) and watches it
 * from the event loop; aeh_place_inline calls it on the host's own stack
 * (--no-isolation).
 *
 * The child puts itself in its own process group, restores default signal
 * dispositions, runs the action with its relay as the tracker's channel,
 * and reports "returned, with this status and message" before _exit. */
#include "placement.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "loop.h"
#include "outcome.h"
#include "proctree.h"
#include "scheduler.h"

/* The dispositions the host changed or a sanitizer installed: an action
 * starts with the defaults, so that a segfault kills it with SIGSEGV. */
static const int reset_signals[] = {
    SIGINT,  SIGTERM, SIGCHLD, SIGPIPE, SIGHUP,  SIGQUIT,
    SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,  SIGABRT, SIGTRAP,
    SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU, SIGXFSZ, SIGSYS,
};

/* Calls the action's run with its tracker. An action that called
 * aero_bailout ends as a bailout whatever it returned, with the reason it
 * gave (`err` may hold the message of a tracker call the action let fail
 * before: not the reason), or its own message when it gave none; one that
 * returned OK without declaring all its outputs fails. */
static aero_status call_action(aeh_action *a, aeh_run *run, aero_error *err) {
  aero_tracker *tracker = aeh_run_tracker(run);
  aero_status status = a->run(a->data, tracker, err);
  if (tracker != NULL && aeh_tracker_bailed(tracker)) {
    status = AERO_E_BAILOUT;
    const char *why = aeh_tracker_bail_reason(tracker);
    if (why != NULL)
      aeh_error_set_message(err, status, why);
  } else if (status == AERO_OK) {
    status = aeh_tracker_check_outputs(tracker, err);
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
  aeh_relay_flush();
  fflush(NULL);
  aeh_proctree_end_descendants();
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
static void child_prepare(const aeh_exec *ex, int sig_r, int sig_w) {
  setpgid(0, 0);
  aeh_proctree_adopt_orphans(); /* proctree.h */
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
static _Noreturn void child_run(aeh_exec *ex, size_t pos, aeh_run *run,
                                const aeh_slot *own, int relay_w, int out_w,
                                int err_w) {
  for (size_t i = 0; own != NULL && i < ex->slot_count; i++) {
    aeh_slot *other = &ex->slots[i];
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
  aeh_run_relay_to(run, relay_w);

  aero_error err = AEH_ERROR_INIT;
  aero_status status = call_action(ex->nodes[pos].action, run, &err);
  fflush(NULL); /* _exit skips stdio: keep what the action printed */
  /* Whatever it started ends with it, before its run is recorded. */
  aeh_proctree_end_descendants();
  /* A host that is gone cannot read it: nothing to do about a failure. */
  (void)aeh_relay_send_returned(relay_w, status,
                                status != AERO_OK ? err.message : NULL);
  /* End of stream now, with the report, not when exit closes the socket
   * (nor never, should the action have left a process holding it). */
  shutdown(relay_w, SHUT_WR);
  _exit(status == AERO_OK ? 0 : 1);
}

/* A child this process forked itself (no fork server). */
static _Noreturn void child_main(aeh_exec *ex, aeh_slot *s,
                                 const int relay_pair[2], const int out_pipe[2],
                                 const int err_pipe[2]) {
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
  aeh_exec *ex = ctx;
  /* The server closed the host's signal pipe: its numbers may name other
   * descriptors now. */
  child_prepare(ex, -1, -1);
  child_run(ex, pos, run, NULL, relay_w, out_w, err_w);
}

static const aeh_action *server_action(void *ctx, size_t pos) {
  aeh_exec *ex = ctx;
  return pos < ex->n ? ex->nodes[pos].action : NULL;
}

/* Before the store connects: the signals a child must reset, the exit
 * guard, and the fork server. The server goes first, while this process
 * holds no store state: its copy (and every action's process, forked from
 * it) is then smaller to fork, and what this process writes to the
 * store's memory afterwards is its own rather than shared copy-on-write
 * with the server. It starts once, before any action's pipes exist (the
 * server must hold none of them, or the host would never see their end of
 * file). Should it not start, this process forks the actions itself. */
static void process_open(aeh_exec *ex) {
  sigset_t current; /* also binds sigprocmask before the first fork */
  sigprocmask(SIG_BLOCK, NULL, &current);
  /* Only what is not already the default costs the child a syscall. */
  for (size_t i = 0; i < AERO_COUNT(reset_signals); i++) {
    struct sigaction now;
    if (sigaction(reset_signals[i], NULL, &now) == 0 &&
        now.sa_handler == SIG_DFL && !(now.sa_flags & SA_SIGINFO))
      continue;
    ex->reset[ex->reset_count++] = reset_signals[i];
  }
  register_child_on_exit();
  if (!aeh_sched_any_selected(ex))
    return;
  fflush(NULL);
  const int keep_out[] = {ex->sig_r, ex->sig_w};
  int e =
      aeh_fork_server_start(&ex->server, ex->store, ex->session, server_action,
                            server_child, ex, keep_out, AERO_COUNT(keep_out));
  if (e != 0 && ex->opts->debug)
    aeh_console_info("no fork server (%s): forking actions directly",
                     strerror(e));
}

static bool process_has_room(const aeh_exec *ex) {
  return ex->running < ex->slot_count;
}

static aeh_slot *free_slot(aeh_exec *ex) {
  for (size_t i = 0; i < ex->slot_count; i++)
    if (!ex->slots[i].busy)
      return &ex->slots[i];
  return NULL;
}

static void close_fd(int fd) {
  if (fd >= 0)
    close(fd);
}

/* Records that the action's process could not be started. */
static void not_started(aeh_exec *ex, size_t p, aeh_run *run, double started,
                        const char *failed_call, int error) {
  char msg[256];
  snprintf(msg, sizeof msg, "could not start the action's process: %s: %s",
           failed_call, strerror(error));
  aero_run_outcome o = {
      .state = AERO_RUN_FAILED, .exit_code = -1, .message = msg};
  aeh_console_error("%s", msg);
  ex->infra = true;
  aeh_sched_complete(ex, p, run, &o, started);
}

/* Reads how the fork server's starts went, in the order they were asked
 * for: each process id goes to its slot, unless the action already
 * reported and its run was finished (aeh_fork_server_started), and a
 * start that failed ends its run. With `wait`, until every start is
 * told. */
static void settle_starts(aeh_exec *ex, bool wait) {
  uint64_t ticket;
  pid_t pid;
  int failure;
  while (ex->server != NULL &&
         aeh_fork_server_started(ex->server, wait, &ticket, &pid, &failure)) {
    aeh_slot *s = NULL;
    for (size_t i = 0; s == NULL && i < ex->slot_count; i++)
      if (ex->slots[i].busy && ex->slots[i].ticket == ticket)
        s = &ex->slots[i];
    if (s == NULL)
      continue; /* finished already: its process id is of no use */
    s->ticket = 0;
    if (failure == 0) {
      s->pid = pid;
      if (ex->opts->debug) {
        char label[512];
        aeh_graph_label(ex->nodes[s->pos].action, label, sizeof label);
        aeh_console_info("%s: run %lld in process %ld", label,
                         (long long)aeh_run_id(s->run), (long)pid);
      }
      continue;
    }
    /* Nothing ran: the server closed the pipes it was handed. */
    aeh_relay_conn_close(&s->relay);
    aeh_linebuf_close(&s->out);
    aeh_linebuf_close(&s->err);
    s->busy = false;
    ex->running--;
    aeh_run *run = s->run;
    s->run = NULL;
    not_started(ex, s->pos, run, s->started, "fork server", failure);
  }
}

static void process_start(aeh_exec *ex, size_t p, aeh_run *run,
                          double started) {
  aeh_node *nd = &ex->nodes[p];
  aeh_slot *s = free_slot(ex);
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
  uint64_t ticket = 0;
  if (failed_call == NULL && ex->server != NULL) {
    /* Not waiting for the fork: its process id comes when needed. */
    int e = aeh_fork_server_spawn(ex->server, p, run, relay_pair[1],
                                  out_pipe[1], err_pipe[1], &ticket);
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
  close_fd(relay_pair[1]);
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  if (failed_call != NULL) {
    close_fd(relay_pair[0]);
    close_fd(out_pipe[0]);
    close_fd(err_pipe[0]);
    not_started(ex, p, run, started, failed_call, saved_errno);
    return;
  }
  /* Both sides set the group, so that it exists before either relies on
   * it; the child's own call may already have made this one fail. (The
   * fork server does this for its own children.) */
  if (ticket == 0)
    setpgid(pid, pid);
  char label[512];
  aeh_graph_label(nd->action, label, sizeof label);
  s->busy = true;
  s->pos = p;
  s->pid = ticket != 0 ? 0 : pid;
  s->ticket = ticket;
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
  nd->state = AEH_NODE_RUNNING;
  ex->running++;
  if (ex->opts->debug && ticket != 0)
    settle_starts(ex, true); /* says the process id */
  else if (ex->opts->debug)
    aeh_console_info("%s: run %lld in process %ld", label,
                     (long long)aeh_run_id(run), (long)pid);
  else if (ticket != 0)
    settle_starts(ex, false); /* keeps the start pipe from filling up */
}

static int process_event_fd(const aeh_exec *ex) {
  return ex->server != NULL ? aeh_fork_server_fd(ex->server) : -1;
}

/* An action that did not return (crashed, killed, timed out) could not end
 * what it started: what stayed in its process group is killed here, and
 * what left it was handed to the fork server (a subreaper), whose children
 * other than the running actions are therefore leftovers. */
static void end_leftovers(aeh_exec *ex, pid_t group) {
  kill(-group, SIGKILL);
  if (ex->server == NULL)
    return;
  settle_starts(ex, true); /* every running action's process id */
  pid_t *keep = malloc(ex->slot_count * sizeof *keep);
  size_t count = 0;
  for (size_t i = 0; keep != NULL && i < ex->slot_count; i++)
    if (ex->slots[i].busy && ex->slots[i].pid > 0)
      keep[count++] = ex->slots[i].pid;
  if (keep != NULL)
    (void)aeh_proctree_kill_children(aeh_fork_server_pid(ex->server), keep,
                                     count);
  free(keep);
}

/* Finishes every action whose end the fork server reported. If the server
 * died, its actions died with it (they are killed with their parent): they
 * are finished as killed and the run ends as an infrastructure failure. */
static void reap_from_server(aeh_exec *ex) {
  /* A relay that ended without a report, of a process whose start was
   * not told yet: the start may have failed (the server then closes the
   * pipes it was handed). */
  bool unsure = false;
  for (size_t i = 0; i < ex->slot_count; i++)
    unsure |= ex->slots[i].busy && ex->slots[i].ticket != 0 &&
              ex->slots[i].relay.fd < 0;
  settle_starts(ex, unsure);
  pid_t pid;
  int wstatus;
  bool lost = false;
  while (aeh_fork_server_next_exit(ex->server, &pid, &wstatus, &lost)) {
    /* Its start was told before its end: match it to its slot. */
    settle_starts(ex, false);
    for (size_t i = 0; i < ex->slot_count; i++) {
      aeh_slot *s = &ex->slots[i];
      if (s->busy && s->pid == pid && pid > 0) {
        aeh_loop_finish(ex, s, wstatus);
        end_leftovers(ex, pid);
        break;
      }
    }
  }
  if (!lost)
    return;
  aeh_console_error("the process that starts actions died: stopping");
  ex->infra = true;
  for (size_t i = 0; i < ex->slot_count; i++) {
    aeh_slot *s = &ex->slots[i];
    if (s->busy) {
      if (s->pid > 0)
        kill(-s->pid, SIGKILL);
      aeh_loop_finish(ex, s, SIGKILL); /* a wait status: killed by SIGKILL */
    }
  }
}

static void process_reap(aeh_exec *ex) {
  if (ex->server != NULL) {
    reap_from_server(ex);
    return;
  }
  for (size_t i = 0; i < ex->slot_count; i++) {
    aeh_slot *s = &ex->slots[i];
    int wstatus;
    if (s->busy && waitpid(s->pid, &wstatus, WNOHANG) == s->pid) {
      aeh_loop_finish(ex, s, wstatus);
      end_leftovers(ex, s->pid);
    }
  }
}

static void process_signal(aeh_exec *ex, aeh_slot *s, int sig) {
  if (s->ticket != 0)
    settle_starts(ex, true);
  /* Never kill(0): a start that failed meanwhile freed the slot. */
  if (s->busy && s->pid > 0)
    kill(-s->pid, sig);
}

static void process_close(aeh_exec *ex) {
  /* Every action ended: whatever the server still has besides is left
   * over from one that died, and is ended now rather than by the server on
   * its way out (which the host's own exit may cut short). */
  if (ex->server != NULL)
    (void)aeh_proctree_kill_children(aeh_fork_server_pid(ex->server), NULL, 0);
  aeh_fork_server_stop(ex->server);
  ex->server = NULL;
}

const aeh_placement aeh_place_process = {
    .name = "process",
    .open = process_open,
    .has_room = process_has_room,
    .start = process_start,
    .event_fd = process_event_fd,
    .reap = process_reap,
    .signal = process_signal,
    .close = process_close,
};

/* Runs the action in the host process (--no-isolation). */
static void inline_start(aeh_exec *ex, size_t p, aeh_run *run, double started) {
  aero_error err = AEH_ERROR_INIT;
  aero_status status = call_action(ex->nodes[p].action, run, &err);
  aero_run_outcome o = {0};
  char msg[AERO_ERROR_MESSAGE_MAX];
  aeh_outcome_of_return(status, &err, &o, msg, sizeof msg);
  const char *why = NULL;
  size_t unrecorded = aeh_run_unrecorded(run, &why);
  if (unrecorded > 0) {
    ex->infra = true; /* as for an action in its own process (loop.c) */
    if (o.state == AERO_RUN_OK)
      aeh_outcome_unrecorded(&o, unrecorded, why, msg, sizeof msg);
  }
  if (aeh_run_output_refused(run))
    ex->infra = true; /* as in its own process (loop.c) */
  aeh_sched_complete(ex, p, run, &o, started);
}

const aeh_placement aeh_place_inline = {
    .name = "inline",
    .start = inline_start,
};
