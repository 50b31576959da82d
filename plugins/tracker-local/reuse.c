/* tracker-local: the reuse members. A run's reuse key (computed by the
 * host) is kept in run_keys; a reused run is a row of `runs` with status
 * `reused` and `reused_run` pointing at the run it stands for, whose
 * outputs it holds (the view run_outputs; recorded by reused_runs.c). */
#include "local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

aero_status tl_reuse_migrate(tl_store *store, aero_error *err) {
  /* SQLite cannot alter a CHECK constraint: the table's text is edited in
   * sqlite_schema, as its manual describes for a constraint that only
   * allows more, and the schema cookie bumped so that every connection
   * reads it again. */
  static const char allow_reused[] =
      "PRAGMA writable_schema = ON;"
      "UPDATE sqlite_schema SET sql = replace(sql, '''bailed'')', "
      "'''bailed'', ''reused'')') WHERE type = 'table' AND name = 'runs';"
      "PRAGMA writable_schema = OFF;";
  static const char tables[] =
      "ALTER TABLE runs ADD COLUMN reused_run INTEGER REFERENCES runs (id);"
      "CREATE TABLE run_keys ("
      " run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
      " key TEXT NOT NULL,"
      " job TEXT NOT NULL,"
      " parts TEXT NOT NULL);"
      "CREATE INDEX run_keys_by_key ON run_keys (key, run_id);"
      "CREATE INDEX run_keys_by_job ON run_keys (job, run_id);";
  sqlite3_stmt *st = NULL;
  int cookie = 0;
  aero_status status = tl_prepare(store, "PRAGMA schema_version", &st, err);
  if (status != AERO_OK)
    return status;
  if (sqlite3_step(st) == SQLITE_ROW)
    cookie = sqlite3_column_int(st, 0);
  tl_finish(store, st);
  status = tl_exec(store, allow_reused, err);
  char bump[64];
  snprintf(bump, sizeof bump, "PRAGMA schema_version = %d", cookie + 1);
  if (status == AERO_OK)
    status = tl_exec(store, bump, err);
  if (status == AERO_OK)
    status = tl_exec(store, tables, err);
  return status;
}

aero_status tl_reuse_key(void *handle, int64_t run_id, const char *key,
                         const char *job, const char *parts, aero_error *err) {
  tl_store *store = handle;
  aero_status status =
      pc_check_reuse_key("tracker-local", key, job, parts, err);
  if (status != AERO_OK)
    return status;
  sqlite3_stmt *st = NULL;
  status = tl_prepare(
      store,
      "INSERT OR REPLACE INTO run_keys (run_id, key, job, parts) VALUES (?, "
      "?, ?, ?)",
      &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, run_id);
  tl_bind_text(st, 2, key);
  tl_bind_text(st, 3, job);
  tl_bind_text(st, 4, parts);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "recording a run's reuse key", err);
  tl_finish(store, st);
  return status;
}

/* How many output names a run lists (runs.outputs, one per line). */
static size_t count_lines(const char *text) {
  if (text == NULL || text[0] == '\0')
    return 0;
  size_t n = 1;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

/* One candidate run of a reuse lookup, read row by row: its outputs are
 * complete when every output it lists has a published version it holds,
 * and every file of those versions is intact as far as one stat can tell
 * (present, recorded size, sealed), or, for a blob kept in the database,
 * as its hash tells: a damaged blob is never reused. */
typedef struct candidate {
  int64_t id, ended_ns;
  size_t expected; /* output names it lists */
  size_t held;     /* published versions it holds, so far */
  int64_t last;    /* the last version counted */
  bool intact;     /* no file found wanting, so far */
} candidate;

/* Takes one row of the lookup (a version file of the candidate's, or
 * NULLs for none) into `c`. */
static void candidate_row(tl_store *store, sqlite3_stmt *st, candidate *c) {
  if (!c->intact || sqlite3_column_type(st, 3) == SQLITE_NULL ||
      sqlite3_column_int(st, 4) != 1)
    return; /* already refused; no output; not published: not held */
  int64_t version = sqlite3_column_int64(st, 3);
  if (c->held == 0 || version != c->last)
    c->held++;
  c->last = version;
  const char *hex = (const char *)sqlite3_column_text(st, 5);
  uint64_t size = (uint64_t)sqlite3_column_int64(st, 6);
  /* The blob's row, joined in (NULL: none; a zero-length row is a blob). */
  bool in_db = sqlite3_column_type(st, 7) != SQLITE_NULL;
  const void *row = in_db ? sqlite3_column_blob(st, 7) : NULL;
  size_t row_size = in_db ? (size_t)sqlite3_column_bytes(st, 7) : 0;
  tl_blob_state state = TL_BLOB_MISSING;
  if (hex != NULL && (tl_blob_check_read(store, hex, size, in_db, row, row_size,
                                         &state, NULL) != AERO_OK ||
                      state != TL_BLOB_INTACT))
    c->intact = false;
}

/* The key parts of the newest OK run of action `job` into match->parts. */
static aero_status newest_parts(tl_store *store, const char *job,
                                aero_reuse_match *match, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status =
      tl_prepare(store,
                 "SELECT k.parts FROM run_keys k CROSS JOIN run_records r ON "
                 "r.id = k.run_id WHERE k.job = ? AND r.status = 'ok' "
                 "ORDER BY k.run_id DESC LIMIT 1",
                 &st, err);
  if (status != AERO_OK)
    return status;
  tl_bind_text(st, 1, job);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *parts = (const char *)sqlite3_column_text(st, 0);
    snprintf(match->parts, sizeof match->parts, "%s", parts ? parts : "");
  } else if (rc != SQLITE_DONE) {
    status = tl_db_fail(store, rc, "finding a run to reuse", err);
  }
  tl_finish(store, st);
  return status;
}

aero_status tl_reuse_find(void *handle, const aero_reuse_query *query,
                          aero_reuse_match *match, aero_error *err) {
  tl_store *store = handle;
  if (query == NULL || query->struct_size < sizeof *query || match == NULL ||
      query->key == NULL || query->project == NULL || query->job_type == NULL)
    return aero_fail(err, AERO_E_INVALID, "tracker-local: bad reuse query");
  match->run_id = 0;
  match->ended_ns = 0;
  match->parts[0] = '\0';
  aero_status status = tl_read_begin(store, err);
  if (status != AERO_OK)
    return status;
  const char *entity = query->entity != NULL ? query->entity : "";
  const char *mode = query->dev ? "dev" : "prod";
  sqlite3_stmt *st = NULL;
  /* Both lookups start from run_keys (CROSS JOIN keeps that order): runs
   * of one job type may be many, and reused runs have no key. One
   * statement reads the candidates with each of their output versions'
   * files (one statement per candidate and another for its outputs cost
   * a statement's fixed work twice per reused action). candidate_row
   * counts a version once per run of its rows, so the ORDER BY asks for a
   * candidate's rows together and, within them, a version's files
   * together. It costs no sort: run_keys is read by (key, run_id) and
   * run_own_outputs by its key (run_id, version_id), which is that order
   * (EXPLAIN QUERY PLAN shows no temp b-tree). A candidate is an `ok`
   * run: its outputs are its own rows. Each file's row of inline_blobs,
   * if any, is joined in: one statement less per output (inline.c hashes
   * a row at every use). */
  status = tl_prepare(store,
                      "SELECT r.id, r.ended_at, r.outputs, o.version_id, "
                      "v.published, f.sha256, f.size, b.content FROM "
                      "run_keys k CROSS JOIN run_records r ON r.id = "
                      "k.run_id LEFT JOIN run_own_outputs o ON o.run_id = "
                      "r.id LEFT JOIN versions v ON v.id = o.version_id "
                      "LEFT JOIN version_files f ON f.version_id = "
                      "o.version_id LEFT JOIN inline_blobs b ON b.sha256 = "
                      "f.sha256 WHERE k.key = ? AND "
                      "r.project = ? AND r.job_type = ? AND r.entity = ? AND "
                      "r.mode = ? AND r.status = 'ok' ORDER BY k.run_id DESC, "
                      "o.version_id",
                      &st, err);
  if (status != AERO_OK)
    goto done;
  tl_bind_text(st, 1, query->key);
  tl_bind_text(st, 2, query->project);
  tl_bind_text(st, 3, query->job_type);
  tl_bind_text(st, 4, entity);
  tl_bind_text(st, 5, mode);
  /* Newest first: an older run with the same key is tried when the newer
   * one's outputs are no longer complete. */
  candidate c = {.id = 0};
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    if (id != c.id) {
      if (c.id != 0 && c.intact && c.held == c.expected)
        break; /* the previous candidate is complete */
      c = (candidate){.id = id,
                      .ended_ns = sqlite3_column_int64(st, 1),
                      .expected =
                          count_lines((const char *)sqlite3_column_text(st, 2)),
                      .intact = true};
    }
    candidate_row(store, st, &c);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "finding a run to reuse", err);
  else if (c.id != 0 && c.intact && c.held == c.expected) {
    match->run_id = c.id;
    match->ended_ns = c.ended_ns;
  }
  tl_finish(store, st);
  /* What the newest run of the action was run with, to say what changed:
   * asked only when nothing matched (backend.h). */
  if (status == AERO_OK && match->run_id == 0)
    status =
        newest_parts(store, query->job != NULL ? query->job : "", match, err);
done:
  /* A match is recorded later with the next ones (reuse_record_batch):
   * the lookups until then share this read transaction. */
  tl_read_linger(store, status == AERO_OK && match->run_id > 0);
  return status;
}
