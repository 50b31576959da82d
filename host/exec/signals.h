/* The executor's signal handling: SIGCHLD, SIGINT, SIGTERM and SIGHUP write
 * their number to a self-pipe that wakes the event loop; SIGPIPE is ignored
 * while actions run.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_SIGNALS_H
#define AEH_EXEC_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct aeh_saved_handlers {
  struct sigaction chld, intr, term, hup, pipe;
} aeh_saved_handlers;

/* Installs the handlers; they write to `pipe_w`. Ctrl-C, SIGTERM and SIGHUP are
 * caught only when `isolate` (an in-process action could not be
 * interrupted anyway). */
void aeh_signals_install(int pipe_w, bool isolate, aeh_saved_handlers *saved);
void aeh_signals_restore(bool isolate, const aeh_saved_handlers *saved);

/* How many Ctrl-C / SIGTERM / SIGHUP arrived so far, and the last one: read
 * between events too, so that none is lost or acted on late. */
sig_atomic_t aeh_signals_received(void);
int aeh_signals_last(void);

/* "SIGSEGV", or "signal 42" for one without a name. */
void aeh_signal_name(int sig, char *buf, size_t size);

#endif /* AEH_EXEC_SIGNALS_H */
