/* tracker-local: removing what nothing refers to (the vtable's collect
 * member, for `aeromancy gc`), in this order:
 *
 *   1. finished dev runs that ended longer ago than keep_dev_ns, with the
 *      versions only they made, unless a run that stays refers to those
 *      versions (then the run that made them stays too) or reuses the
 *      run (a run kept so is a run that stays);
 *   2. views of versions that no longer exist;
 *   3. scratch folders (tmp/run-<id>) of runs that are not running, and
 *      temp files beside blobs older than a day (a killed host's);
 *   4. blobs no version refers to (files, and rows of inline_blobs).
 *
 * Never what a live host is writing: a host stores a blob before the
 * version that refers to it is recorded, and may reuse an unreferenced
 * blob it finds intact. So step 4 runs under the write lock, which no run
 * can begin without, and only when no run is running at all (a run whose
 * host is gone is reaped first, as the next host would); otherwise it is
 * skipped and reported. Steps 1 and 4 are transactions; with dry_run, one
 * transaction from step 1 to step 4, where step 1 deletes as a real gc
 * would, rolled back after reporting what they would remove (its blobs
 * and views are those of the runs it would remove: each counted as gc
 * would count it).
 */
#include "local.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMP_MAX_AGE_S (24 * 3600)

typedef struct collector {
  tl_store *store;
  const aero_collect_params *params;
  aero_status (*each)(void *, const aero_garbage *, aero_error *);
  void *ctx;
  aero_error *err;
  /* Dry-running, step 1's transaction stays open, its runs deleted, until
   * the end: steps 2 and 4 then see what a real gc would leave, and report
   * the views and blobs it would remove with those runs. Rolled back. */
  bool in_txn;
} collector;

static aero_status found(collector *c, uint32_t kind, const char *subject,
                         int64_t bytes) {
  aero_garbage g = {.struct_size = sizeof g,
                    .kind = kind,
                    .subject = subject,
                    .bytes = bytes};
  return c->each != NULL ? c->each(c->ctx, &g, c->err) : AERO_OK;
}

/* Removes `path` (a folder when `tree`) unless dry-running; what stays is
 * an error: gc never reports as removed what is still there. */
static aero_status remove_path(collector *c, const char *path, bool tree) {
  if (c->params->dry_run)
    return AERO_OK;
  int rc = tree ? tl_remove_tree(path)
                : (unlink(path) == 0 || errno == ENOENT ? 0 : errno);
  if (rc == 0)
    return AERO_OK;
  return aero_fail(c->err, tl_errno_status(rc, AERO_E_STORE),
                   "store %s: cannot remove %s: %s", c->store->root, path,
                   strerror(rc));
}

/* ---- 1. old dev runs ---- */

/* The candidates (gc_runs) a run that stays needs, in one pass: those a
 * run outside the set refers to, then those a candidate kept so refers
 * to, and so on (UNION: each kept run is followed once). A run refers to
 * the run it reuses (reused_run: a reused run holds the outputs of the run
 * it stands for, schema 9's run_outputs view) and to the run that made a
 * version it read (run_inputs), re-declared (run_own_outputs) or linked as
 * its output (output_links). From outside, each candidate version is asked
 * for its readers and holders by version (gc_inputs_by_version,
 * run_outputs_by_version), since the runs that stay are most of the store;
 * output_links, which holds only running runs' links, is read whole (it has
 * no index by version). From a kept candidate, every reference is a lookup
 * by run (the tables are keyed so). A chain of dev runs, each reading the
 * version of the one before, that one newer run reads is kept in one pass:
 * removing one layer per round, as gc did, cost the square of its length
 * (10,000 links: about 40 s of CPU against 0.07 s, docs/performance.md). */
static const char kept_runs[] =
    "WITH RECURSIVE kept(id) AS ("
    "SELECT reused_run FROM run_records WHERE reused_run IN (SELECT id FROM "
    "gc_runs) AND id NOT IN (SELECT id FROM gc_runs) "
    "UNION SELECT v.run_id FROM versions v WHERE v.run_id IN (SELECT id FROM "
    "gc_runs) AND (EXISTS (SELECT 1 FROM run_inputs i WHERE i.version_id = "
    "v.id AND i.run_id NOT IN (SELECT id FROM gc_runs)) OR EXISTS (SELECT 1 "
    "FROM run_own_outputs o WHERE o.version_id = v.id AND o.run_id NOT IN "
    "(SELECT id FROM gc_runs))) "
    "UNION SELECT v.run_id FROM output_links l JOIN versions v ON v.id = "
    "l.version_id WHERE l.run_id NOT IN (SELECT id FROM gc_runs) AND "
    "v.run_id IN (SELECT id FROM gc_runs) "
    "UNION SELECT r.reused_run FROM kept k JOIN run_records r ON r.id = k.id "
    "WHERE r.reused_run IN (SELECT id FROM gc_runs) "
    "UNION SELECT v.run_id FROM kept k JOIN run_inputs i ON i.run_id = k.id "
    "JOIN versions v ON v.id = i.version_id WHERE v.run_id IN (SELECT id "
    "FROM gc_runs) "
    "UNION SELECT v.run_id FROM kept k JOIN run_own_outputs o ON o.run_id = "
    "k.id JOIN versions v ON v.id = o.version_id WHERE v.run_id IN (SELECT "
    "id FROM gc_runs) "
    "UNION SELECT v.run_id FROM kept k JOIN output_links l ON l.run_id = "
    "k.id JOIN versions v ON v.id = l.version_id WHERE v.run_id IN (SELECT "
    "id FROM gc_runs)) "
    "DELETE FROM gc_runs WHERE id IN (SELECT id FROM kept)";

static aero_status old_dev_runs(collector *c) {
  if (c->params->keep_dev_ns < 0)
    return AERO_OK;
  tl_store *store = c->store;
  aero_status status = tl_begin(store, c->err);
  if (status != AERO_OK)
    return status;
  /* Candidates, less those a run that stays needs (kept_runs below). */
  char sql[512];
  snprintf(
      sql, sizeof sql,
      "CREATE TEMP TABLE IF NOT EXISTS gc_runs (id INTEGER PRIMARY KEY);"
      "DELETE FROM gc_runs;"
      "INSERT INTO gc_runs SELECT id FROM run_records WHERE mode = 'dev' AND "
      "status <> 'running' AND ended_at IS NOT NULL AND ended_at < %lld",
      (long long)(tl_now_ns() - c->params->keep_dev_ns));
  status = tl_exec(store, sql, c->err);
  /* run_inputs is keyed by run: asking it by version, as kept_runs does
   * for every candidate version and the foreign key for every version
   * deleted, scans it each time (20,000 fresh dev runs of a chain, all
   * deleted: 11 s of CPU). A lasting index would be one more entry per
   * input of every run, reused runs' included, beside the version's
   * earlier ones (the churn schema 9 took away from run_outputs), for gc
   * alone; so gc builds one (the same deletes: 0.9 s) and drops it with
   * gc_reused_runs below, in the same transaction (a dry run's rollback
   * drops it). docs/store.md. */
  if (status == AERO_OK)
    status = tl_exec(store,
                     "CREATE INDEX gc_inputs_by_version ON run_inputs "
                     "(version_id)",
                     c->err);
  if (status == AERO_OK)
    status = tl_exec(store, kept_runs, c->err);
  sqlite3_stmt *st = NULL;
  if (status == AERO_OK)
    status =
        tl_prepare(store,
                   "SELECT g.id, r.job_type FROM gc_runs g JOIN run_records r "
                   "ON r.id = g.id ORDER BY g.id",
                   &st, c->err);
  int rc = SQLITE_DONE;
  while (status == AERO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    char subject[160];
    snprintf(subject, sizeof subject, "run %lld [%s]",
             (long long)sqlite3_column_int64(st, 0),
             (const char *)sqlite3_column_text(st, 1));
    status = found(c, AERO_GARBAGE_DEV_RUN, subject, 0);
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "listing old dev runs", c->err);
  tl_finish(store, st);
  /* Deleting a run has SQLite look, for the foreign key, for the runs
   * whose reused_run names it: with no index on reused_run a scan of
   * run_records per deleted run (20,000 dev runs deleted of 121,000, 100,000
   * of them reused: 106 s). A lasting index would cost every re-run (each
   * reused run an entry beside its run's earlier ones, the churn schema 9
   * took away: 100 unchanged re-runs of 1,000 actions 42% more CPU, the
   * last ones twice as long), so gc builds one for its deletes and drops it
   * in the same transaction (the same deletes: 0.9-1.2 s). So too for
   * versions (run_id), which its foreign key asks for every deleted run:
   * versions_pending holds only pending versions, and without one each
   * deleted run is a scan of the versions that stay (20,000 dev runs of a
   * chain deleted, 20,000 newer kept: 48-72 s with none of the three,
   * 14-16 s with the other two, 1.0 s with all three). */
  if (status == AERO_OK)
    status = tl_exec(
        store,
        "CREATE INDEX gc_reused_runs ON run_records (reused_run) WHERE "
        "reused_run IS NOT NULL;"
        "CREATE INDEX gc_versions_by_run ON versions (run_id);"
        "DELETE FROM run_inputs WHERE run_id IN (SELECT id FROM gc_runs);"
        "DELETE FROM run_own_outputs WHERE run_id IN (SELECT id FROM "
        "gc_runs);"
        "DELETE FROM versions WHERE run_id IN (SELECT id FROM gc_runs);"
        "DELETE FROM run_records WHERE id IN (SELECT id FROM gc_runs);"
        "DROP INDEX gc_reused_runs;"
        "DROP INDEX gc_inputs_by_version;"
        "DROP INDEX gc_versions_by_run;"
        "DELETE FROM invocations WHERE id NOT IN (SELECT invocation_id FROM "
        "run_records WHERE invocation_id IS NOT NULL);",
        c->err);
  if (status == AERO_OK && c->params->dry_run) {
    c->in_txn = true; /* rolled back by tl_collect */
    return AERO_OK;
  }
  if (status == AERO_OK)
    status = tl_commit(store, c->err);
  if (status != AERO_OK)
    tl_rollback(store);
  return status;
}

/* ---- 2. views of versions that are gone ---- */

static aero_status stale_views(collector *c) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/views", c->store->root);
  DIR *d = opendir(dir);
  if (d == NULL)
    return AERO_OK;
  sqlite3_stmt *st = NULL;
  aero_status status =
      tl_prepare(c->store, "SELECT 1 FROM versions WHERE id = ?", &st, c->err);
  struct dirent *e;
  while (status == AERO_OK && (d != NULL) && (e = readdir(d)) != NULL) {
    char *end = NULL;
    long long id = strtoll(e->d_name, &end, 10);
    if (e->d_name[0] == '.' || end == e->d_name || *end != '\0')
      continue;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      continue;
    if (rc != SQLITE_DONE) {
      status = tl_db_fail(c->store, rc, "looking up a version", c->err);
      break;
    }
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    status = remove_path(c, path, true);
    if (status == AERO_OK)
      status = found(c, AERO_GARBAGE_SCRATCH, path, 0);
  }
  tl_finish(c->store, st);
  closedir(d);
  return status;
}

/* ---- 3. scratch folders and temp files ---- */

static aero_status old_temp_file(void *ctx, const char *hex, const char *path,
                                 const char *name) {
  collector *c = ctx;
  struct stat s;
  if (hex != NULL || strncmp(name, ".tmp-", 5) != 0 || lstat(path, &s) != 0 ||
      time(NULL) - s.st_mtime < TEMP_MAX_AGE_S)
    return AERO_OK;
  aero_status status = remove_path(c, path, false);
  if (status == AERO_OK)
    status = found(c, AERO_GARBAGE_TEMP, path, (int64_t)s.st_size);
  return status;
}

static aero_status scratch(collector *c) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/tmp", c->store->root);
  DIR *d = opendir(dir);
  if (d == NULL)
    return AERO_OK;
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      c->store, "SELECT status FROM run_records WHERE id = ?", &st, c->err);
  struct dirent *e;
  while (status == AERO_OK && (e = readdir(d)) != NULL) {
    long long id = 0;
    char rest = 0;
    if (sscanf(e->d_name, "run-%lld%c", &id, &rest) != 1)
      continue;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    const char *state =
        rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      status = tl_db_fail(c->store, rc, "looking up a run", c->err);
      break;
    }
    /* A running run's folder is in use (a dead host's run is reaped by
     * the next host, or fsck --repair, first). */
    if (state != NULL && strcmp(state, "running") == 0)
      continue;
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    status = remove_path(c, path, true);
    if (status == AERO_OK)
      status = found(c, AERO_GARBAGE_SCRATCH, path, 0);
  }
  tl_finish(c->store, st);
  closedir(d);
  /* Temp files beside blobs (written without a run's scratch folder) that
   * nobody has touched for a day: a killed writer's. */
  if (status == AERO_OK)
    status = tl_blob_walk(c->store, old_temp_file, c);
  return status;
}

/* ---- 4. blobs no version refers to ---- */

static aero_status any_running(tl_store *store, bool *running,
                               aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store, "SELECT 1 FROM run_records WHERE status = 'running' LIMIT 1", &st,
      err);
  if (status != AERO_OK)
    return status;
  int rc = sqlite3_step(st);
  *running = rc == SQLITE_ROW;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "looking for running runs", err);
  tl_finish(store, st);
  return status;
}

typedef struct unreferenced {
  collector *c;
  sqlite3_stmt *st;
} unreferenced;

static aero_status remove_unreferenced(void *ctx, const char *hex,
                                       const char *path, const char *name) {
  (void)name;
  unreferenced *u = ctx;
  collector *c = u->c;
  if (hex == NULL)
    return AERO_OK;
  sqlite3_reset(u->st);
  tl_bind_text(u->st, 1, hex);
  int rc = sqlite3_step(u->st);
  if (rc == SQLITE_ROW)
    return AERO_OK;
  if (rc != SQLITE_DONE)
    return tl_db_fail(c->store, rc, "looking up a blob", c->err);
  struct stat s;
  int64_t bytes = lstat(path, &s) == 0 ? (int64_t)s.st_size : 0;
  aero_status status = found(c, AERO_GARBAGE_BLOB, hex, bytes);
  if (status == AERO_OK && !c->params->dry_run && unlink(path) != 0 &&
      errno != ENOENT)
    status = aero_fail(c->err, tl_errno_status(errno, AERO_E_STORE),
                       "store %s: cannot remove blob %s: %s", c->store->root,
                       hex, strerror(errno));
  return status;
}

static aero_status remove_row(void *ctx, const char *hex, int64_t bytes) {
  return found(ctx, AERO_GARBAGE_BLOB, hex, bytes);
}

static aero_status orphan_blobs(collector *c) {
  tl_store *store = c->store;
  aero_status status = c->in_txn ? AERO_OK : tl_begin(store, c->err);
  if (status != AERO_OK)
    return status;
  bool running = false;
  status = any_running(store, &running, c->err);
  if (status == AERO_OK && running) {
    if (!c->in_txn)
      tl_rollback(store);
    return aero_fail(c->err, AERO_E_STATE,
                     "store %s: a run is in progress: unreferenced blobs are "
                     "kept (a live host may be about to refer to them); run "
                     "gc again when no host is running",
                     store->root);
  }
  unreferenced u = {c, NULL};
  if (status == AERO_OK)
    status = tl_prepare(store,
                        "SELECT 1 FROM version_files WHERE sha256 = ? LIMIT 1",
                        &u.st, c->err);
  if (status == AERO_OK)
    status = tl_blob_walk(store, remove_unreferenced, &u);
  tl_finish(store, u.st);
  /* The rows go in this transaction, committed unless dry-running. */
  if (status == AERO_OK)
    status =
        tl_inline_orphans(store, !c->params->dry_run, remove_row, c, c->err);
  if (status == AERO_OK && !c->params->dry_run)
    status = tl_commit(store, c->err);
  if ((status != AERO_OK || c->params->dry_run) && !c->in_txn)
    tl_rollback(store);
  return status;
}

aero_status tl_collect(void *handle, const aero_collect_params *params,
                       aero_status (*each)(void *, const aero_garbage *,
                                           aero_error *),
                       void *ctx, aero_error *err) {
  tl_store *store = handle;
  aero_collect_params none = {.struct_size = sizeof none, .keep_dev_ns = -1};
  if (params == NULL)
    params = &none;
  collector c = {store, params, each, ctx, err, false};
  /* Runs whose host is gone first, as the next host would: their scratch
   * folders and pending outputs go, and they stop counting as running. */
  aero_status status = params->dry_run ? AERO_OK : tl_owner_claim(store, err);
  if (status == AERO_OK)
    status = old_dev_runs(&c);
  if (status == AERO_OK)
    status = stale_views(&c);
  if (status == AERO_OK)
    status = scratch(&c);
  if (status == AERO_OK)
    status = orphan_blobs(&c);
  if (c.in_txn)
    tl_rollback(store);
  return status;
}
