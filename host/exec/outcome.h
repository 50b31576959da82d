/* How an action's end maps onto the outcome its run is recorded with
 * (docs/execution.md has the table).
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_OUTCOME_H
#define AEH_EXEC_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

#include "exec.h"

/* An action's process ended with `wstatus`; `returned` when it reported
 * its return on the relay `rec`. `msg` (size `size`) holds the message
 * `o` points at. */
void aeh_outcome_of_process(const aeh_slot *s, const aeh_relay_conn *rec,
                            bool returned, int wstatus, double timeout_s,
                            aero_run_outcome *o, char *msg, size_t size);

/* An action called on the host's stack returned `status` with `err`. */
void aeh_outcome_of_return(aero_status status, const aero_error *err,
                           aero_run_outcome *o, char *msg, size_t size);

/* The store refused `count` metrics or log lines of a run that would have
 * ended OK, the first for `why`: it ends failed instead, since its record
 * is incomplete. `msg` (size `size`) holds the message `o` points at. */
void aeh_outcome_unrecorded(aero_run_outcome *o, size_t count, const char *why,
                            char *msg, size_t size);

#endif /* AEH_EXEC_OUTCOME_H */
