/* tracker-postgres: removing what nothing refers to (the vtable's collect
 * member, for `aeromancy gc`), in this order:
 *
 *   1. the runs of hosts whose lease expired are recorded killed and their
 *      pending versions dropped, as the next run_begin of any host would;
 *   2. finished dev runs that ended longer ago than keep_dev_ns, with the
 *      versions only they made, unless a run that stays refers to those
 *      versions or reused the run (then the run that made them stays,
 *      and a run kept so is a run that stays);
 *   3. bucket objects no version (published or pending) refers to.
 *
 * Never what a live host is writing: a host uploads a blob before the
 * pending version that refers to it is recorded, and skips the upload of
 * a blob the bucket already holds. Every host that uploads holds a lease
 * (taken at its first run_begin), so step 3 runs only when no lease is
 * alive and no run is running; otherwise it is skipped and gc fails with
 * AERO_E_STATE saying so, after steps 1 and 2. From that look at the
 * leases to its last delete, step 3 holds the advisory lock TP_GC_LOCK,
 * which a host takes (shared) with its first lease: a host that starts
 * meanwhile waits, rather than skip the upload of a blob gc is about to
 * delete. Each delete first checks that the lock is still held (a lost
 * connection drops it), and gc stops when it is not.
 */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct collector {
  tp_store *store;
  const aero_collect_params *params;
  aero_status (*each)(void *, const aero_garbage *, aero_error *);
  void *ctx;
  aero_error *err;
  /* Step 2's runs, "id\tjob_type" each, for the report. */
  char **runs;
  size_t nruns;
  /* Step 3: the referenced blobs and whether a host is at work. */
  tp_blob_refs refs;
  bool busy;
  bool refs_loaded; /* dry-running: by step 2, as its deletes would leave */
} collector;

static aero_status load_refs(tp_store *store, collector *c, aero_error *err);

static aero_status found(collector *c, uint32_t kind, const char *subject,
                         int64_t bytes) {
  if (c->each == NULL)
    return AERO_OK;
  aero_garbage g = {.struct_size = sizeof g,
                    .kind = kind,
                    .subject = subject,
                    .bytes = bytes};
  return c->each(c->ctx, &g, c->err);
}

static void free_runs(collector *c) {
  for (size_t i = 0; i < c->nruns; i++)
    free(c->runs[i]);
  free(c->runs);
  c->runs = NULL;
  c->nruns = 0;
}

/* ---- 2. old dev runs ---- */

/* The candidates (gc_runs) a run that stays needs, in one pass: those a
 * run outside the set refers to, then those a candidate kept so refers
 * to, and so on (UNION: each kept run is followed once). A run refers to
 * the run it reuses (reused_run: a reused run holds the outputs of the
 * run it stands for, the view run_outputs of schema 3) and to the run
 * that made a version it read (run_inputs) or re-declared
 * (run_own_outputs: asking the view by version would look runs up once
 * per version, and the run it reuses is kept by reused_run anyway).
 *
 * From outside, each table is joined to the candidates once, whole (the
 * runs that stay are most of the store). From a kept candidate, every reference
 * is a lookup by run (the tables' keys), and the query is written so that the
 * planner can make nothing else of it: the recursive term runs once per level
 * of the recursion (a chain: once per link), so a join it planned as a hash
 * join would scan versions or gc_runs at every level, which it did where
 * the tables had no statistics yet (a store just filled, before
 * autovacuum's ANALYZE: 4,000 links, 6.5 s). The LATERAL subquery names
 * the work table once, as PostgreSQL requires, and the version's run and
 * the membership of gc_runs are scalar subqueries, which PostgreSQL
 * does not turn into joins: lookups by primary key, per row. NOT EXISTS
 * rather than NOT IN: a NOT IN whose hashed list outgrows work_mem is
 * asked row by row. A chain of dev runs, each reading the version of the
 * one before, that one newer run reads is kept in one pass: removing one
 * layer per round, as gc did, cost the square of its length
 * (docs/performance.md). */
static const char kept_runs[] =
    "WITH RECURSIVE kept(id) AS ("
    "SELECT r.reused_run FROM runs r JOIN gc_runs g ON g.id = r.reused_run "
    "WHERE NOT EXISTS (SELECT 1 FROM gc_runs o WHERE o.id = r.id) "
    "UNION SELECT v.run_id FROM run_inputs i JOIN versions v ON v.id = "
    "i.version_id JOIN gc_runs g ON g.id = v.run_id WHERE NOT EXISTS "
    "(SELECT 1 FROM gc_runs o WHERE o.id = i.run_id) "
    "UNION SELECT v.run_id FROM run_own_outputs i JOIN versions v ON v.id = "
    "i.version_id JOIN gc_runs g ON g.id = v.run_id WHERE NOT EXISTS "
    "(SELECT 1 FROM gc_runs o WHERE o.id = i.run_id) "
    "UNION SELECT n.id FROM kept k CROSS JOIN LATERAL ("
    "SELECT r.reused_run AS id FROM runs r WHERE r.id = k.id "
    "UNION ALL SELECT (SELECT v.run_id FROM versions v WHERE v.id = "
    "i.version_id) FROM run_inputs i WHERE i.run_id = k.id "
    "UNION ALL SELECT (SELECT v.run_id FROM versions v WHERE v.id = "
    "o.version_id) FROM run_own_outputs o WHERE o.run_id = k.id) n "
    "WHERE (SELECT true FROM gc_runs g WHERE g.id = n.id)) "
    "DELETE FROM gc_runs WHERE id IN (SELECT id FROM kept)";

static aero_status dev_body(tp_store *store, void *ctx, aero_error *err) {
  collector *c = ctx;
  free_runs(c);
  tp_params p = {0};
  tp_param_int(&p, tp_now_ns() - c->params->keep_dev_ns);
  aero_status status = tp_exec(
      store,
      "CREATE TEMP TABLE IF NOT EXISTS gc_runs (id BIGINT PRIMARY KEY) ON "
      "COMMIT DELETE ROWS",
      NULL, NULL, "listing old dev runs", err);
  if (status == AERO_OK)
    status = tp_exec(store,
                     "INSERT INTO gc_runs SELECT id FROM runs WHERE mode = "
                     "'dev' AND status <> 'running' AND ended_at IS NOT NULL "
                     "AND ended_at < $1",
                     &p, NULL, "listing old dev runs", err);
  /* Candidates, less those a run that stays needs (kept_runs above).
   * Without JIT, until the transaction ends (commit or rollback): the
   * planner cannot know how many levels a recursive query has and
   * guesses ten times the first one's rows at each, which on tables
   * without statistics passes jit_above_cost; compiling the query took
   * 0.6-1.3 s, running it 0.05-0.1 s (4,000 links). */
  if (status == AERO_OK)
    status = tp_exec(store, "SET LOCAL jit = off", NULL, NULL,
                     "listing old dev runs", err);
  if (status == AERO_OK)
    status = tp_exec(store, kept_runs, NULL, NULL, "listing old dev runs", err);
  PGresult *res = NULL;
  if (status == AERO_OK)
    status = tp_exec(store,
                     "SELECT g.id || ' [' || r.job_type || ']' FROM gc_runs g "
                     "JOIN runs r ON r.id = g.id ORDER BY g.id",
                     NULL, &res, "listing old dev runs", err);
  if (status != AERO_OK)
    return status;
  size_t n = (size_t)PQntuples(res);
  c->runs = calloc(n + 1, sizeof *c->runs);
  for (size_t i = 0; c->runs != NULL && i < n; i++)
    if ((c->runs[c->nruns] = strdup(PQgetvalue(res, (int)i, 0))) != NULL)
      c->nruns++;
  PQclear(res);
  if (c->runs == NULL || c->nruns != n)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  /* Dry-running, the runs are deleted after a savepoint, the blobs the
   * rest refers to are read (step 3's list), and the deletes undone: the
   * dry run then reports the blobs gc would remove with those runs. */
  if (c->params->dry_run)
    status = tp_exec(store, "SAVEPOINT gc_dry_run", NULL, NULL,
                     "listing old dev runs", err);
  /* Each row deleted has its foreign keys checked by index: run_inputs
   * and versions by version and by run since schema 5, runs by
   * reused_run since 4 (db.c); without them, a scan of what stays per
   * row. */
  if (status == AERO_OK)
    status = tp_exec(
        store,
        "DELETE FROM run_inputs WHERE run_id IN (SELECT id FROM gc_runs);"
        "DELETE FROM run_own_outputs WHERE run_id IN (SELECT id FROM "
        "gc_runs);"
        "DELETE FROM versions WHERE run_id IN (SELECT id FROM gc_runs);"
        "DELETE FROM runs WHERE id IN (SELECT id FROM gc_runs);",
        NULL, NULL, "removing old dev runs", err);
  if (status == AERO_OK && c->params->dry_run) {
    status = load_refs(store, c, err);
    c->refs_loaded = status == AERO_OK;
    if (status == AERO_OK)
      status = tp_exec(store, "ROLLBACK TO SAVEPOINT gc_dry_run", NULL, NULL,
                       "listing old dev runs", err);
  }
  return status;
}

static aero_status old_dev_runs(collector *c) {
  if (c->params->keep_dev_ns < 0)
    return AERO_OK;
  aero_status status =
      tp_txn(c->store, dev_body, c, "removing old dev runs", c->err);
  for (size_t i = 0; status == AERO_OK && i < c->nruns; i++) {
    char subject[300];
    snprintf(subject, sizeof subject, "run %s", c->runs[i]);
    status = found(c, AERO_GARBAGE_DEV_RUN, subject, 0);
  }
  free_runs(c);
  return status;
}

/* ---- 3. unreferenced blobs ---- */

/* Whether a host is at work and, when none is, the blobs versions refer
 * to (c->refs), as this transaction sees them. */
static aero_status load_refs(tp_store *store, collector *c, aero_error *err) {
  PGresult *res = NULL;
  tp_blob_refs_free(&c->refs); /* a transaction tried again */
  aero_status status = tp_exec(
        store,
        "SELECT (SELECT count(*) FROM leases WHERE expires_at >= now()) + "
        "(SELECT count(*) FROM runs WHERE status = 'running')",
        NULL, &res, "looking for hosts at work", err);
  if (status != AERO_OK)
    return status;
  c->busy = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
  PQclear(res);
  if (c->busy)
    return AERO_OK;
  return tp_blob_refs_load(store, &c->refs, err);
}

static aero_status refs_body(tp_store *store, void *ctx, aero_error *err) {
  collector *c = ctx;
  tp_params k = {0};
  tp_param_int(&k, TP_GC_LOCK);
  /* On this connection until released (or the connection is lost). */
  aero_status status =
      c->params->dry_run
          ? AERO_OK
          : tp_exec(store, "SELECT pg_advisory_lock($1)", &k, NULL,
                    "waiting for hosts taking a lease", err);
  return status == AERO_OK ? load_refs(store, c, err) : status;
}

/* Whether this connection still holds TP_GC_LOCK: a connection lost (and
 * made again) since refs_body took it holds nothing, and a host may have
 * taken a lease since. No retry: a new connection would not hold it. */
static aero_status still_locked(collector *c) {
  tp_params k = {0};
  tp_param_int(&k, TP_GC_LOCK);
  PGresult *res = NULL;
  aero_status status =
      tp_exec(c->store,
              "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
              "classid = 0 AND objid = $1 AND objsubid = 1 AND pid = "
              "pg_backend_pid() AND mode = 'ExclusiveLock' AND granted",
              &k, &res, "checking gc's lock", c->err);
  if (status != AERO_OK)
    return status;
  bool held = strcmp(PQgetvalue(res, 0, 0), "1") == 0;
  PQclear(res);
  return held ? AERO_OK
              : aero_fail(c->err, AERO_E_STORE,
                          "%s: gc lost its lock on the database (the "
                          "connection was cut): it stopped deleting; run it "
                          "again",
                          c->store->server);
}

static aero_status unreferenced(void *ctx, const char *hex, uint64_t size,
                                aero_error *err) {
  collector *c = ctx;
  (void)err;
  if (tp_blob_refs_find(&c->refs, hex) != NULL)
    return AERO_OK;
  aero_status status = found(c, AERO_GARBAGE_BLOB, hex, (int64_t)size);
  if (status == AERO_OK && !c->params->dry_run)
    status = still_locked(c);
  if (status == AERO_OK && !c->params->dry_run)
    status = tp_s3_delete_blob(c->store->s3, hex, c->err);
  return status;
}

/* Releases TP_GC_LOCK (nothing to do when the connection that held it is
 * gone: so is the lock). */
static void unlock(tp_store *store) {
  if (store->db == NULL || PQstatus(store->db) != CONNECTION_OK)
    return;
  /* Only when held: unlocking a lock not held makes the server send a
   * WARNING, which tp_connect's notice keeper would then add to the next
   * error line as what the server said. */
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT pg_advisory_unlock(%d) FROM pg_locks WHERE locktype = "
           "'advisory' AND classid = 0 AND objid = %d AND objsubid = 1 AND "
           "pid = pg_backend_pid() AND granted",
           TP_GC_LOCK, TP_GC_LOCK);
  PQclear(PQexec(store->db, sql));
}

static aero_status orphan_blobs(collector *c) {
  aero_status status =
      c->refs_loaded ? AERO_OK
                     : tp_once(c->store, refs_body, c,
                               "listing the blobs versions refer to", c->err);
  if (status == AERO_OK && c->busy)
    status = aero_fail(c->err, AERO_E_STATE,
                       "%s: a host is at work (a live lease or a running "
                       "run): unreferenced blobs are kept (it may be about "
                       "to refer to them); run gc again when no host is "
                       "running",
                       c->store->server);
  else if (status == AERO_OK)
    status = tp_s3_list_blobs(c->store->s3, unreferenced, c, c->err);
  if (!c->params->dry_run)
    unlock(c->store);
  return status;
}

aero_status tp_collect(void *handle, const aero_collect_params *params,
                       aero_status (*each)(void *, const aero_garbage *,
                                           aero_error *),
                       void *ctx, aero_error *err) {
  tp_store *store = handle;
  aero_collect_params none = {.struct_size = sizeof none, .keep_dev_ns = -1};
  collector c = {.store = store,
                 .params = params != NULL ? params : &none,
                 .each = each,
                 .ctx = ctx,
                 .err = err};
  pthread_mutex_lock(&store->lock);
  aero_status status = c.params->dry_run
                           ? AERO_OK
                           : tp_txn(store, tp_lease_reap, NULL,
                                    "recording the runs of dead hosts", err);
  if (status == AERO_OK)
    status = old_dev_runs(&c);
  if (status == AERO_OK)
    status = orphan_blobs(&c);
  pthread_mutex_unlock(&store->lock);
  tp_blob_refs_free(&c.refs);
  return status;
}
