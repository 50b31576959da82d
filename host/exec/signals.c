#include "signals.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int signal_pipe_w = -1;
/* Ctrl-C / SIGTERM / SIGHUP received so far, and the last one (the pipe only
 * wakes poll). */
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

void aeh_signals_install(int pipe_w, bool isolate, aeh_saved_handlers *saved) {
  signal_pipe_w = pipe_w;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT); /* the counter is not updated nested */
  sigaddset(&sa.sa_mask, SIGTERM);
  sigaddset(&sa.sa_mask, SIGHUP);
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
    /* A closed terminal or ssh session: stop as for SIGTERM, so that the
     * runs are recorded killed rather than left to the next host. */
    sigaction(SIGHUP, &sa, &saved->hup);
  }
}

void aeh_signals_restore(bool isolate, const aeh_saved_handlers *saved) {
  if (isolate) {
    sigaction(SIGHUP, &saved->hup, NULL);
    sigaction(SIGTERM, &saved->term, NULL);
    sigaction(SIGINT, &saved->intr, NULL);
  }
  sigaction(SIGPIPE, &saved->pipe, NULL);
  sigaction(SIGCHLD, &saved->chld, NULL);
  signal_pipe_w = -1;
}

sig_atomic_t aeh_signals_received(void) {
  return interrupts_received;
}

int aeh_signals_last(void) {
  return last_interrupt;
}

void aeh_signal_name(int sig, char *buf, size_t size) {
  const char *abbrev = sigabbrev_np(sig);
  if (abbrev != NULL)
    snprintf(buf, size, "SIG%s", abbrev);
  else
    snprintf(buf, size, "signal %d", sig);
}
