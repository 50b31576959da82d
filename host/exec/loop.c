#include "loop.h"

#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "interrupt.h"
#include "oom.h"
#include "outcome.h"
#include "placement.h"
#include "scheduler.h"
#include "signals.h"
#include "slurm_job.h"

/* After SIGTERM for a timeout, the action's process group gets this long to
 * exit before SIGKILL. */
#define TIMEOUT_GRACE_S 1.0

void aeh_loop_finish(aeh_exec *ex, aeh_slot *s, int wstatus) {
  /* Whatever it sent before it exited (its last calls, its report) is
   * served before the run is recorded; a grandchild still holding the
   * socket open must not stall the host, so nothing more is waited for. */
  aeh_relay_conn_serve(&s->relay, ex->store);
  aeh_relay_conn_close(&s->relay);
  aeh_relay_conn *rec = &s->relay;
  bool returned = rec->returned;
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
  aeh_outcome_of_process(s, rec, returned, wstatus, ex->opts->timeout_s, &o,
                         msg, sizeof msg);
  if (o.state == AERO_RUN_CRASHED && o.signal == SIGKILL) {
    /* The OOM killer's SIGKILL is told from any other by its count. */
    uint64_t kills = aeh_oom_kills();
    if (kills > ex->oom_kills) {
      o.state = AERO_RUN_KILLED;
      aeh_oom_message(msg, sizeof msg);
    }
    ex->oom_kills = kills;
  }
  if (rec->unrecorded > 0) {
    /* Said as it happened. The record lacks what the action logged: it is
     * the store's failure (exit 2), and the run is no success, whatever
     * the action returned. */
    ex->infra = true;
    if (o.state == AERO_RUN_OK)
      aeh_outcome_unrecorded(&o, rec->unrecorded, rec->unrecorded_why, msg,
                             sizeof msg);
  }
  /* The store could not keep an output it declared: the store's failure
   * too, whichever process stored it (relay_client.c). */
  if (rec->output_refused)
    ex->infra = true;
  if (o.state != AERO_RUN_OK)
    aeh_slurm_job_ending(&o, s->forwarded != 0, msg, sizeof msg);
  if (ex->opts->debug) {
    char how[64];
    if (WIFSIGNALED(wstatus))
      aeh_signal_name(WTERMSIG(wstatus), how, sizeof how);
    else
      snprintf(how, sizeof how, "exit %d", WEXITSTATUS(wstatus));
    aeh_console_info("process %ld ended (%s, %s)", (long)s->pid, how,
                     returned ? "returned" : "did not return");
  }
  s->busy = false;
  ex->running--;
  aeh_sched_complete(ex, s->pos, s->run, &o, s->started);
  s->run = NULL;
}

/* Serves what the action's process sent. When it reported "returned" and
 * then closed the relay, it is on its way out through _exit with the
 * status its report implies: the run is finished now rather than after
 * the fork server reaps it and says so, one process hand-over less per
 * action (the server's later report of that pid is ignored). A process
 * forked here must be reaped here, so it waits for SIGCHLD. */
static void serve_relay(aeh_exec *ex, aeh_slot *s) {
  /* A reap earlier in this round may have finished it. */
  if (!s->busy || aeh_relay_conn_serve(&s->relay, ex->store))
    return;
  if (s->relay.returned && ex->server != NULL) {
    aeh_loop_finish(ex, s, W_EXITCODE(s->relay.code == AERO_OK ? 0 : 1, 0));
    return;
  }
  /* Ended without a report: the process died, or never started (the
   * placement learns which when it reaps). */
  if (ex->place->reap != NULL)
    ex->place->reap(ex);
}

static void add_fd(aeh_exec *ex, size_t *nfds, int fd, aeh_slot *s,
                   aeh_linebuf *buf) {
  ex->pfds[*nfds] = (struct pollfd){.fd = fd, .events = POLLIN};
  ex->pfd_slot[*nfds] = s;
  ex->pfd_buf[(*nfds)++] = buf;
}

/* Timeouts and the SIGKILL that follows a grace period. */
static void enforce_deadlines(aeh_exec *ex) {
  double now = aeh_exec_now();
  for (size_t i = 0; i < ex->slot_count; i++) {
    aeh_slot *s = &ex->slots[i];
    if (!s->busy)
      continue;
    if (s->deadline > 0 && !s->timed_out && now >= s->deadline) {
      s->timed_out = true;
      ex->place->signal(ex, s, SIGTERM);
      s->kill_at = now + TIMEOUT_GRACE_S;
    } else if (s->kill_at > 0 && now >= s->kill_at) {
      ex->place->signal(ex, s, SIGKILL);
      s->kill_at = 0;
    }
  }
}

void aeh_loop_wait(aeh_exec *ex) {
  double now = aeh_exec_now();
  double next = 0;
  size_t nfds = 0;
  add_fd(ex, &nfds, ex->sig_r, NULL, NULL);
  size_t event_at = 0;
  int event_fd = ex->place->event_fd != NULL ? ex->place->event_fd(ex) : -1;
  if (event_fd >= 0) {
    event_at = nfds;
    add_fd(ex, &nfds, event_fd, NULL, NULL);
  }
  for (size_t i = 0; i < ex->slot_count; i++) {
    aeh_slot *s = &ex->slots[i];
    if (!s->busy)
      continue;
    if (s->deadline > 0 && !s->timed_out && (next == 0 || s->deadline < next))
      next = s->deadline;
    if (s->kill_at > 0 && (next == 0 || s->kill_at < next))
      next = s->kill_at;
    if (s->relay.fd >= 0)
      add_fd(ex, &nfds, s->relay.fd, s, NULL);
    aeh_linebuf *bufs[2] = {&s->out, &s->err};
    for (size_t k = 0; k < 2; k++)
      if (ex->capture && bufs[k]->fd >= 0)
        add_fd(ex, &nfds, bufs[k]->fd, NULL, bufs[k]);
  }
  int timeout_ms = -1;
  if (next > 0) {
    /* poll() takes an int of milliseconds (24.8 days): a deadline further
     * away is waited for that long, then looked at again. */
    double ms = next <= now ? 0 : ceil((next - now) * 1000.0);
    timeout_ms = ms < (double)INT_MAX ? (int)ms : INT_MAX;
  }
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
    if (event_at != 0 && ex->pfds[event_at].revents != 0)
      reap = true;
    for (size_t k = 1; k < nfds; k++)
      if (ex->pfd_buf[k] != NULL && ex->pfds[k].revents != 0)
        aeh_linebuf_read(ex->pfd_buf[k]);
    for (size_t k = 1; k < nfds; k++)
      if (ex->pfd_slot[k] != NULL && ex->pfds[k].revents != 0)
        serve_relay(ex, ex->pfd_slot[k]);
  }
  aeh_interrupt_check(ex);
  enforce_deadlines(ex);
  if (reap && ex->place->reap != NULL)
    ex->place->reap(ex);
}
