/* tracker-local: finding the run to reuse (reuse_find and, since ABI 1.6,
 * reuse_find_batch). An unchanged re-run asks once per action; asked one
 * at a time, each lookup paid a statement's fixed work (its reset, its
 * bindings, opening six cursors) for a few rows. A streak of ready actions
 * is asked CHUNK at a time instead: one statement reads the candidates of
 * every key in the chunk, each with its output versions' files. */
#include "local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Queries answered by one statement. */
#define CHUNK 32

/* The candidates of the keys asked (run_keys, read by (key, run_id)),
 * each with its output versions' files and each file's row of
 * inline_blobs, if any (inline.c hashes a row at every use: joined in, it
 * costs no statement of its own). A candidate is an `ok` run: its outputs
 * are its own rows. CROSS JOIN keeps run_keys first: runs of one job type
 * may be many, and reused runs have no key. The rest of a query (project,
 * job type, entity, mode) is compared here, row by row, so that one
 * statement serves queries that differ in them.
 *
 * candidate_row counts a version once per run of its rows, and a
 * candidate is settled when its key's next one starts, so the ORDER BY
 * asks for a key's candidates together, newest first, and within one a
 * version's files together. It costs no sort (EXPLAIN QUERY PLAN shows no
 * temp b-tree): SQLite walks the IN list sorted, run_keys by (key,
 * run_id) and run_own_outputs by its key (run_id, version_id). Asked by
 * a list of keys, not a VALUES table of queries: ordering by a query's
 * place in such a table took a sort of each chunk's rows, a tenth of an
 * unchanged re-run. */
#define FIND(keys)                                                             \
  "SELECT k.key, r.id, r.ended_at, r.outputs, o.version_id, v.published, "     \
  "f.sha256, f.size, b.content, r.project, r.job_type, r.entity, r.mode FROM " \
  "run_keys k CROSS JOIN run_records r ON r.id = k.run_id LEFT JOIN "          \
  "run_own_outputs o ON o.run_id = r.id LEFT JOIN versions v ON v.id = "       \
  "o.version_id LEFT JOIN version_files f ON f.version_id = o.version_id "     \
  "LEFT JOIN inline_blobs b ON b.sha256 = f.sha256 WHERE k.key IN (" keys      \
  ") AND r.status = 'ok' ORDER BY k.key DESC, k.run_id DESC, o.version_id"
#define KEYS4 "?, ?, ?, ?"
#define KEYS16 KEYS4 ", " KEYS4 ", " KEYS4 ", " KEYS4
static const char find_one[] = FIND("?");
static const char find_chunk[] = FIND(KEYS16 ", " KEYS16);

/* How many output names a run lists (runs.outputs, one per line). */
static size_t count_lines(const char *text) {
  if (text == NULL || text[0] == '\0')
    return 0;
  size_t n = 1;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

/* One candidate run of a lookup, read row by row: its outputs are complete
 * when every output it lists has a published version it holds, and every
 * file of those versions is intact as far as one stat can tell (present,
 * recorded size, sealed), or, for a blob kept in the database, as its hash
 * tells: a damaged blob is never reused. */
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
  if (!c->intact || sqlite3_column_type(st, 4) == SQLITE_NULL ||
      sqlite3_column_int(st, 5) != 1)
    return; /* already refused; no output; not published: not held */
  int64_t version = sqlite3_column_int64(st, 4);
  if (c->held == 0 || version != c->last)
    c->held++;
  c->last = version;
  const char *hex = (const char *)sqlite3_column_text(st, 6);
  uint64_t size = (uint64_t)sqlite3_column_int64(st, 7);
  /* The blob's row, joined in (NULL: none; a zero-length row is a blob). */
  bool in_db = sqlite3_column_type(st, 8) != SQLITE_NULL;
  const void *row = in_db ? sqlite3_column_blob(st, 8) : NULL;
  size_t row_size = in_db ? (size_t)sqlite3_column_bytes(st, 8) : 0;
  tl_blob_state state = TL_BLOB_MISSING;
  if (hex != NULL && (tl_blob_check_read(store, hex, size, in_db, row, row_size,
                                         &state, NULL) != AERO_OK ||
                      state != TL_BLOB_INTACT))
    c->intact = false;
}

static const aero_reuse_query *query_at(const aero_reuse_query *queries,
                                        size_t i) {
  return (const aero_reuse_query *)(const void *)((const char *)queries +
                                                  i * queries->struct_size);
}

static aero_reuse_match *match_at(aero_reuse_match *matches, size_t i) {
  return (aero_reuse_match *)(void *)((char *)matches +
                                      i * matches->struct_size);
}

/* Makes `match` the answer when candidate `c` is complete and no newer
 * candidate was (candidates come newest first: an older run with the
 * same key is tried when the newer one's outputs are no longer
 * complete). */
static void settle(const candidate *c, aero_reuse_match *match) {
  if (match->run_id == 0 && c->id != 0 && c->intact && c->held == c->expected) {
    match->run_id = c->id;
    match->ended_ns = c->ended_ns;
  }
}

/* One query of a chunk, with the candidate being read for it. */
typedef struct asked {
  const aero_reuse_query *query;
  aero_reuse_match *match;
  candidate c;
} asked;

static int by_key(const void *a, const void *b) {
  return strcmp(((const asked *)a)->query->key, ((const asked *)b)->query->key);
}

/* The first of the `n` asks (sorted by key) whose key is `key`, or n. */
static size_t first_with(const asked *asks, size_t n, const char *key) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(asks[mid].query->key, key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && strcmp(asks[lo].query->key, key) == 0 ? lo : n;
}

static const char *column_text(sqlite3_stmt *st, int col) {
  const char *text = (const char *)sqlite3_column_text(st, col);
  return text != NULL ? text : "";
}

/* Whether the row's run (columns 9-12) is one `q` may reuse: its
 * project, job type, entity and mode. */
static bool row_fits(sqlite3_stmt *st, const aero_reuse_query *q) {
  return strcmp(column_text(st, 9), q->project) == 0 &&
         strcmp(column_text(st, 10), q->job_type) == 0 &&
         strcmp(column_text(st, 11), q->entity != NULL ? q->entity : "") ==
             0 &&
         strcmp(column_text(st, 12), q->dev ? "dev" : "prod") == 0;
}

/* Takes one row into the candidate of `a`: a new run settles the one
 * before it. */
static void ask_row(tl_store *store, sqlite3_stmt *st, asked *a) {
  if (a->match->run_id != 0 || !row_fits(st, a->query))
    return; /* answered by a newer candidate; not this query's */
  int64_t id = sqlite3_column_int64(st, 1);
  if (id != a->c.id) {
    settle(&a->c, a->match);
    if (a->match->run_id != 0)
      return;
    a->c = (candidate){
        .id = id,
        .ended_ns = sqlite3_column_int64(st, 2),
        .expected = count_lines((const char *)sqlite3_column_text(st, 3)),
        .intact = true};
  }
  candidate_row(store, st, &a->c);
}

/* Answers the `n` queries (at most CHUNK) from `first` on. */
static aero_status find_some(tl_store *store, const aero_reuse_query *queries,
                             aero_reuse_match *matches, size_t first, size_t n,
                             aero_error *err) {
  asked asks[CHUNK];
  for (size_t i = 0; i < n; i++)
    asks[i] = (asked){.query = query_at(queries, first + i),
                      .match = match_at(matches, first + i)};
  /* Sorted, the asks of one key (two actions may share one) are side by
   * side, as the rows of a key come together. */
  qsort(asks, n, sizeof *asks, by_key);
  sqlite3_stmt *st = NULL;
  aero_status status =
      tl_prepare(store, n == 1 ? find_one : find_chunk, &st, err);
  if (status != AERO_OK)
    return status;
  /* A short chunk's other keys stay unbound: NULL finds nothing. */
  for (size_t i = 0; i < n; i++)
    tl_bind_text(st, 1 + (int)i, asks[i].query->key);
  size_t lo = n, hi = n; /* the asks of the current rows' key */
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *key = column_text(st, 0);
    if (lo == n || strcmp(key, asks[lo].query->key) != 0) {
      for (size_t i = lo; i < hi; i++)
        settle(&asks[i].c, asks[i].match);
      lo = first_with(asks, n, key);
      for (hi = lo; hi < n && strcmp(asks[hi].query->key, key) == 0; hi++)
        ;
    }
    for (size_t i = lo; i < hi; i++)
      ask_row(store, st, &asks[i]);
  }
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "finding a run to reuse", err);
  for (size_t i = lo; status == AERO_OK && i < hi; i++)
    settle(&asks[i].c, asks[i].match);
  tl_finish(store, st);
  return status;
}

/* The key parts of the newest OK run of action `job` into match->parts:
 * what the host compares to say what changed. */
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

static bool query_ok(const aero_reuse_query *q) {
  return q->key != NULL && q->project != NULL && q->job_type != NULL;
}

aero_status tl_reuse_find_batch(void *handle, const aero_reuse_query *queries,
                                size_t count, aero_reuse_match *matches,
                                aero_error *err) {
  tl_store *store = handle;
  if (count == 0)
    return AERO_OK;
  if (queries == NULL || matches == NULL ||
      queries->struct_size < sizeof *queries ||
      matches->struct_size < sizeof *matches)
    return aero_fail(err, AERO_E_INVALID, "tracker-local: bad reuse query");
  for (size_t i = 0; i < count; i++) {
    if (!query_ok(query_at(queries, i)))
      return aero_fail(err, AERO_E_INVALID, "tracker-local: bad reuse query");
    aero_reuse_match *m = match_at(matches, i);
    m->run_id = 0;
    m->ended_ns = 0;
    m->parts[0] = '\0';
  }
  aero_status status = tl_read_begin(store, err);
  if (status != AERO_OK)
    return status;
  for (size_t first = 0; status == AERO_OK && first < count; first += CHUNK)
    status = find_some(store, queries, matches, first,
                       count - first < CHUNK ? count - first : CHUNK, err);
  /* What the newest run of each action that matched nothing was run with,
   * to say what changed: asked only then (backend.h). */
  bool any = false;
  for (size_t i = 0; status == AERO_OK && i < count; i++) {
    aero_reuse_match *m = match_at(matches, i);
    const aero_reuse_query *q = query_at(queries, i);
    any = any || m->run_id > 0;
    if (m->run_id == 0)
      status = newest_parts(store, q->job != NULL ? q->job : "", m, err);
  }
  for (size_t i = 0; status != AERO_OK && i < count; i++) {
    aero_reuse_match *m = match_at(matches, i); /* a failure answers none */
    m->run_id = 0;
    m->ended_ns = 0;
  }
  /* A match is recorded later with the next ones (reuse_record_batch):
   * the lookups until then share this read transaction. */
  tl_read_linger(store, status == AERO_OK && any);
  return status;
}

/* One lookup is a batch of one: the same statement (its one-key form). */
aero_status tl_reuse_find(void *handle, const aero_reuse_query *query,
                          aero_reuse_match *match, aero_error *err) {
  return pc_reuse_find_one(handle, "tracker-local", tl_reuse_find_batch, query,
                           match, err);
}
