/* tracker-postgres: runs whose aerohost died.
 *
 * tracker-local holds a flock per live handle; across machines there is no
 * such lock, so a handle that starts runs takes a lease instead: a row in
 * `leases` with an expiry, renewed every third of its length by a thread
 * with its own connection. Every handle's first run_begin records as
 * killed the running runs of every lease that expired (and drops their
 * pending versions), in one statement. The length is
 * $AEROMANCY_LEASE_SECONDS (default 60): a host cut off from the database
 * for longer than that finds its runs recorded killed.
 */
#include "tp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static int lease_seconds(void) {
  const char *v = getenv("AEROMANCY_LEASE_SECONDS");
  char *end = NULL;
  long n = v != NULL ? strtol(v, &end, 10) : 0;
  return v != NULL && end != v && *end == '\0' && n >= 1 && n <= 86400 ? (int)n
                                                                       : 60;
}

static void renew(PGconn *conn, const char *token, int seconds) {
  char secs[16];
  snprintf(secs, sizeof secs, "%d", seconds);
  const char *params[] = {token, secs};
  PGresult *res = PQexecParams(
      conn,
      "UPDATE leases SET expires_at = now() + make_interval(secs => $2::int) "
      "WHERE token = $1",
      2, NULL, params, NULL, NULL, 0);
  PQclear(res);
}

static void *heartbeat(void *arg) {
  tp_store *store = arg;
  PGconn *conn = NULL;
  pthread_mutex_lock(&store->lock);
  while (!store->heartbeat_stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += store->lease_seconds / 3 > 0 ? store->lease_seconds / 3 : 1;
    while (!store->heartbeat_stop &&
           pthread_cond_timedwait(&store->heartbeat_cond, &store->lock,
                                  &until) != ETIMEDOUT)
      ;
    if (store->heartbeat_stop)
      break;
    char token[33];
    snprintf(token, sizeof token, "%s", store->lease);
    int seconds = store->lease_seconds;
    /* The renewal runs without the handle's lock: its own connection. */
    pthread_mutex_unlock(&store->lock);
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
      if (conn != NULL)
        PQfinish(conn);
      conn = tp_connect(store->conninfo, NULL);
    }
    if (PQstatus(conn) == CONNECTION_OK)
      renew(conn, token, seconds);
    pthread_mutex_lock(&store->lock);
  }
  pthread_mutex_unlock(&store->lock);
  if (conn != NULL)
    PQfinish(conn);
  return NULL;
}

typedef struct claim_ctx {
  const char *token;
  char hostname[256];
  int seconds;
} claim_ctx;

static aero_status claim_body(tp_store *store, void *ctx_, aero_error *err) {
  claim_ctx *ctx = ctx_;
  /* Not while gc deletes unreferenced objects: it looked at the leases
   * before it started, and this host may be about to skip the upload of
   * a blob the bucket holds because gc has not reached it yet. Waits for
   * gc; hosts never wait for each other (the lock is shared). */
  tp_params k = {0};
  tp_param_int(&k, TP_GC_LOCK);
  aero_status status =
      tp_exec(store, "SELECT pg_advisory_xact_lock_shared($1)", &k, NULL,
              "waiting for gc to finish deleting", err);
  if (status != AERO_OK)
    return status;
  tp_params p = {0};
  tp_param_text(&p, ctx->token);
  tp_param_text(&p, ctx->hostname);
  tp_param_int(&p, getpid());
  tp_param_int(&p, ctx->seconds);
  status =
      tp_exec(store,
              "INSERT INTO leases (token, hostname, pid, expires_at) VALUES "
              "($1, $2, $3, now() + make_interval(secs => $4::int)) ON "
              "CONFLICT (token) DO NOTHING",
              &p, NULL, "taking a lease", err);
  if (status != AERO_OK)
    return status;
  return tp_lease_reap(store, NULL, err);
}

/* A dead host's run ends when it was last seen alive: the latest of its
 * start, its last log line and its last metric point (GREATEST skips
 * NULLs), not when a reader or host noticed, maybe a week later. */
aero_status tp_lease_reap(tp_store *store, void *unused, aero_error *err) {
  (void)unused;
  return tp_exec(
      store,
      "WITH dead AS (DELETE FROM leases WHERE expires_at < now() RETURNING "
      "token), killed AS (UPDATE runs r SET status = 'killed', ended_at = "
      "GREATEST(r.started_at, (SELECT max(l.logged_at) FROM run_logs l WHERE "
      "l.run_id = r.id), (SELECT max(m.logged_at) FROM metrics m WHERE "
      "m.run_id = r.id)), message = 'its aerohost stopped renewing its lease "
      "(the host died or lost the database)' WHERE r.status = 'running' AND "
      "r.lease IN (SELECT token FROM dead) RETURNING r.id) DELETE FROM "
      "versions WHERE published = 0 AND run_id IN (SELECT id FROM killed)",
      NULL, NULL, "recording the runs of dead hosts", err);
}

/* A reader's reap: it gives up after SETTLE_LOCK_WAIT rather than wait for
 * a row another transaction holds (a lock timeout is not retried); the
 * runs are then read as they are, and the next reader or host records
 * them. */
#define SETTLE_LOCK_WAIT "200ms"
static aero_status settle_body(tp_store *store, void *unused,
                               aero_error *err) {
  aero_status status =
      tp_exec(store, "SET LOCAL lock_timeout = '" SETTLE_LOCK_WAIT "'", NULL,
              NULL, "recording the runs of dead hosts", err);
  return status == AERO_OK ? tp_lease_reap(store, unused, err) : status;
}

aero_status tp_settle_dead(void *handle, aero_error *err) {
  tp_store *store = handle;
  pthread_mutex_lock(&store->lock);
  aero_status status = tp_txn(store, settle_body, NULL,
                              "recording the runs of dead hosts", err);
  pthread_mutex_unlock(&store->lock);
  return status;
}

aero_status tp_lease_claim(tp_store *store, aero_error *err) {
  if (store->lease[0] != '\0')
    return AERO_OK;
  unsigned char raw[16];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
    return aero_fail(err, AERO_E_IO, "tracker-postgres: no random bytes: %s",
                     strerror(errno));
  char token[33];
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(token + 2 * i, 3, "%02x", raw[i]);
  claim_ctx ctx = {.token = token, .seconds = lease_seconds()};
  if (gethostname(ctx.hostname, sizeof ctx.hostname) != 0)
    snprintf(ctx.hostname, sizeof ctx.hostname, "?");
  aero_status status = tp_txn(store, claim_body, &ctx, "taking a lease", err);
  if (status != AERO_OK)
    return status;
  snprintf(store->lease, sizeof store->lease, "%s", token);
  store->lease_seconds = ctx.seconds;
  store->heartbeat_stop = false;
  if (pthread_create(&store->heartbeat, NULL, heartbeat, store) == 0)
    store->heartbeat_running = true;
  return AERO_OK;
}

void tp_lease_release(tp_store *store) {
  if (store->lease[0] == '\0')
    return;
  if (store->heartbeat_running) {
    pthread_mutex_lock(&store->lock);
    store->heartbeat_stop = true;
    pthread_cond_signal(&store->heartbeat_cond);
    pthread_mutex_unlock(&store->lock);
    pthread_join(store->heartbeat, NULL);
    store->heartbeat_running = false;
  }
  if (store->db != NULL && PQstatus(store->db) == CONNECTION_OK) {
    const char *params[] = {store->lease};
    PGresult *res =
        PQexecParams(store->db, "DELETE FROM leases WHERE token = $1", 1, NULL,
                     params, NULL, NULL, 0);
    PQclear(res);
  }
  store->lease[0] = '\0';
}
