/* The event loop: one poll() over the self-pipe of the signal handlers,
 * the placement's event fd, every busy slot's relay and (with -j > 1)
 * output pipes, with a timeout for the nearest deadline: no sleeping, no
 * busy polling.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_LOOP_H
#define AEH_EXEC_LOOP_H

#include "exec.h"

/* Waits for the next event (a signal, a tracker call, output, a deadline)
 * and handles it. */
void aeh_loop_wait(aeh_exec *ex);

/* The action in `s` ended with wait status `wstatus`: serves what it sent
 * last, finishes its output, records its run and frees the slot. */
void aeh_loop_finish(aeh_exec *ex, aeh_slot *s, int wstatus);

#endif /* AEH_EXEC_LOOP_H */
