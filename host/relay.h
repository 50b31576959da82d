/* The relay: an action's store calls, carried from its process to the
 * host's.
 *
 * The host process makes the store calls. An action's process is handed
 * one end of a socket pair; every backend call its tracker makes (resolve,
 * record_input, materialize, put_output) goes as one request frame (but
 * put_output of a large output, made in the action's process on a handle
 * of its own: see aeh_relay_client), which
 * the host serves on its own handle from its event loop and answers with a
 * status, a message and the results. Metrics and log lines go one way: the
 * action does not wait, and the host records the metrics that arrived
 * together in one batch (one transaction instead of one per call), before
 * anything the action sends after them. Frames still in the socket when
 * the process dies are recorded all the same. A batch the store refuses is
 * reported by the host (the run then ends with exit 2). The stream ends
 * with the "returned, with this status and message" report.
 *
 * Why: a forked child opening its own store connection paid for it with
 * hundreds of page faults (SQLite's page cache and schema, malloc) and
 * leaned on SQLite lock bookkeeping inherited across fork(); relayed, an
 * action that logs and publishes costs a few socket round trips, and no
 * database state ever crosses a fork.
 *
 * The relay is one transport of a run (tracker.c's aeh_run_relay_to sets
 * it on the run in the action's process); the store below knows nothing
 * of it, so arrows run one way: tracker -> relay_client -> store.
 *
 * Owner: tracking. relay_client.c is the action's side, relay_server.c
 * the host's, relay_wire.c the encoding.
 */
#ifndef AEH_RELAY_H
#define AEH_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <aeromancy/backend.h>

#include "tracker.h"

/* Request kinds. The reply to each is: i64 status, message, results. */
typedef enum aeh_relay_op {
  AEH_RELAY_RETURNED = 1, /* i64 code, message; no reply */
  AEH_RELAY_RESOLVE = 2,
  AEH_RELAY_RECORD_INPUT = 3,
  AEH_RELAY_MATERIALIZE = 4,
  AEH_RELAY_PUT_OUTPUT = 5,
  AEH_RELAY_LOG_METRICS = 6, /* no reply */
  AEH_RELAY_LOG_TEXT = 7,    /* no reply */
  /* i64 run id; no reply: the store could not keep an output the action's
   * process stored itself (a large one), as relay_client.c tells. */
  AEH_RELAY_OUTPUT_REFUSED = 8,
  /* i64 run id, key, job, parts: reuse_key (the run read outside its key,
   * aeh_run_read_outside_key) */
  AEH_RELAY_REUSE_KEY = 9,
} aeh_relay_op;

/* ------------------------------------------------------ action's side */

/* The backend whose every call is relayed over `fd`, and its handle. One
 * per process: the action's. `store` is the action's (borrowed): an output
 * whose files are large is stored from this process instead, so that
 * hashing and copying them runs in parallel with other actions rather
 * than in the host's loop. */
const aero_backend_vtable *aeh_relay_backend(void);
void *aeh_relay_client(int fd, aeh_store *store);

/* Sends the metric points the action's relay client holds (it sends
 * points logged in a burst together): before its process leaves by
 * exit(). Sends after them, like every other request, the report below. */
void aeh_relay_flush(void);

/* Sends the final report: the run callback returned `code` with
 * `message` (may be NULL). Returns 0, or -1 when the host is gone. */
int aeh_relay_send_returned(int fd, aero_status code, const char *message);

/* ------------------------------------------------------- host's side */

/* One action process's stream, read as it arrives. */
typedef struct aeh_relay_conn {
  int fd;          /* the host's end; -1 once closed */
  int64_t run_id;  /* the only run this process may record for */
  size_t outputs;  /* declare-output requests served */
  char label[256]; /* "[job_type output]", for messages */
  char *buf;       /* bytes of frames not yet whole */
  size_t len;
  size_t cap;
  aero_metric_row *rows; /* metrics not yet recorded; keys malloc'd */
  size_t row_count;
  size_t row_cap;
  size_t unrecorded; /* metrics and log lines the store refused */
  /* Why the store refused the first of them. */
  char unrecorded_why[AERO_ERROR_MESSAGE_MAX];
  /* The store could not keep an output the action declared, stored here
   * or by the action's process (aeh_store_refused): the store's failure,
   * exit 2, whatever the action returned. */
  bool output_refused;
  char broken[160]; /* why the stream was refused as malformed (plugin
                       code wrote on the socket); "" while it was not */
  bool returned;    /* the report arrived: see code and message */
  int32_t code;
  char message[AERO_ERROR_MESSAGE_MAX];
} aeh_relay_conn;

void aeh_relay_conn_open(aeh_relay_conn *c, int fd, int64_t run_id,
                         const char *label);
/* Reads what has arrived, without blocking, serves every whole request on
 * `store`, and records the metrics that came with them. Returns false once
 * the stream ended or broke (the process exited, or sent something
 * malformed: its later calls then fail). */
bool aeh_relay_conn_serve(aeh_relay_conn *c, aeh_store *store);
void aeh_relay_conn_close(aeh_relay_conn *c);

#endif /* AEH_RELAY_H */
