/* The lock that serializes the tracker calls of a process.
 *
 * Owner: tracking. Below every user that takes it: the host API's tracker
 * members (tracker_calls.c) and aeh_run_end (tracker.c), and the relay's
 * action side (relay_client.c), whose flusher and final report write to
 * the run's transport too.
 */
#ifndef AEH_TRACKER_LOCK_H
#define AEH_TRACKER_LOCK_H

#include <stdbool.h>

/* The lock every tracker member (tracker.h) holds for its whole length (the
 * request it builds, sends and the reply it reads, or the store call it
 * makes in this process). The relay's flusher and its final report take
 * it too, and aeh_run_end: it orders every use of the run's transport.
 * Fork-safe once a tracker member ran or the flusher started (before,
 * no other thread holds it): a child forked while another thread held it
 * starts with it free. Not
 * recursive: never taken by code a tracker member calls. */
void aeh_tracker_calls_lock(void);
void aeh_tracker_calls_unlock(void);
/* Registers the lock's fork handlers, once per process (what the first
 * member does), for a thread that takes it outside a member: the relay's
 * flusher. False when they could not be registered. */
bool aeh_tracker_calls_fork_safe(void);

#endif /* AEH_TRACKER_LOCK_H */
