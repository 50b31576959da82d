/* The tracker calls' lock (tracker_lock.h). */
#include "tracker_lock.h"

#include <pthread.h>

/* Serializes the tracker calls of this process (tracker_lock.h): an action's
 * threads share the run's transport (the relay's request buffer and
 * socket, or the store's handle, a SQLite connection opened NOMUTEX under
 * --no-isolation) and the run's own state (strings handed out, outputs
 * declared). One lock for the whole call, because a relayed call's reply
 * must be read by the thread that sent its request. */
static pthread_mutex_t calls = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t calls_fork_once = PTHREAD_ONCE_INIT;

/* fork() copies only the calling thread: a child forked while another
 * thread made a tracker call would wait for the lock forever. So a fork
 * waits until no call runs, and the child starts with the lock free. */
static void fork_prepare(void) {
  pthread_mutex_lock(&calls);
}

static void fork_release(void) {
  pthread_mutex_unlock(&calls);
}

/* Registered with the first tracker call, not before: registering costs
 * a process a few page faults, which an action making no tracker call
 * should not pay (nor the host, whose every fork would run them); until
 * then no other thread takes the lock. A failure leaves the calls
 * serialized, but a fork during one unsafe. */
static bool fork_safe;

static void register_fork_handlers(void) {
  fork_safe = pthread_atfork(fork_prepare, fork_release, fork_release) == 0;
}

bool aeh_tracker_calls_fork_safe(void) {
  pthread_once(&calls_fork_once, register_fork_handlers);
  return fork_safe;
}

void aeh_tracker_calls_lock(void) {
  pthread_mutex_lock(&calls);
}

void aeh_tracker_calls_unlock(void) {
  pthread_mutex_unlock(&calls);
}
