/* tracker-local: finding the run to reuse (reuse_find and, since ABI 1.6,
 * reuse_find_batch). An unchanged re-run asks once per action; asked one
 * at a time, each lookup paid a statement's fixed work (its reset, its
 * bindings, opening six cursors) for a few rows. A streak of ready actions
 * is asked CHUNK at a time instead: one statement reads the newest `ok`
 * run of every key in the chunk with its output versions' files. An
 * action whose newest run does not do (a blob gone or damaged, another
 * project's run) is then asked alone, as reuse_find asks: older runs with
 * its key are tried, newest first. */
#include "local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Queries answered by one statement. */
#define CHUNK 32

/* The output versions' files of a candidate, each file's row of
 * inline_blobs joined in, if any (inline.c hashes a row at every use:
 * joined, it costs no statement of its own). A candidate is an `ok` run:
 * its outputs are its own rows. */
#define OUTPUT_FILES                                                           \
  "LEFT JOIN run_own_outputs o ON o.run_id = r.id LEFT JOIN versions v ON "    \
  "v.id = o.version_id LEFT JOIN version_files f ON f.version_id = "           \
  "o.version_id LEFT JOIN inline_blobs b ON b.sha256 = f.sha256"

/* One query alone: the candidates of its key, newest first (run_keys first,
 * CROSS JOIN keeping that order: runs of one job type may be many, and
 * reused runs have no key), each with its files. find_alone counts a
 * version once per run of its rows and stops at the first complete
 * candidate, so the ORDER BY asks for a candidate's rows together and,
 * within them, a version's files together. It costs no sort: run_keys is
 * read by (key, run_id) and run_own_outputs by its key (run_id,
 * version_id), which is that order (EXPLAIN QUERY PLAN shows no temp
 * b-tree). Columns from ALONE_VERSION on: version, published, sha256,
 * size, inline content. */
static const char find_one[] =
    "SELECT r.id, r.ended_at, r.outputs, o.version_id, v.published, "
    "f.sha256, f.size, b.content FROM run_keys k CROSS JOIN run_records r ON "
    "r.id = k.run_id " OUTPUT_FILES " WHERE k.key = ? AND r.project = ? AND "
    "r.job_type = ? AND r.entity = ? AND r.mode = ? AND r.status = 'ok' "
    "ORDER BY k.run_id DESC, o.version_id";
#define ALONE_VERSION 3

/* A chunk: the `ok` runs of its keys, each with its files and what a
 * query compares (project, job type, entity, mode: one statement serves
 * queries that differ in them). Ordered by key, then newest first: SQLite
 * walks the IN list in order and run_keys by (key, run_id), so the ORDER
 * BY costs no sort (EXPLAIN QUERY PLAN shows no temp b-tree), and each
 * key's newest run comes first, its rows by version. Only that one is
 * taken (find_some): a key with more `ok` runs (one per --force re-run)
 * would cost its lookup as many joins, so the chunk stops there and the
 * rest of its queries are asked alone, which stops at the first complete
 * run. Asked by a list of
 * keys, not by a table of the queries: ordering by a query's place in such
 * a table sorted each chunk's rows; picking each key's newest run in SQL
 * (GROUP BY, or NOT EXISTS a newer one) cost a fifth more instructions
 * than this. Columns from CHUNK_VERSION on as find_one's from
 * ALONE_VERSION. */
#define NEWEST(keys)                                                           \
  "SELECT k.key, r.id, r.ended_at, r.outputs, o.version_id, v.published, "     \
  "f.sha256, f.size, b.content, r.project, r.job_type, r.entity, r.mode FROM " \
  "run_keys k CROSS JOIN run_records r ON r.id = k.run_id " OUTPUT_FILES       \
  " WHERE k.key IN (" keys ") AND r.status = 'ok' ORDER BY k.key DESC, "       \
  "k.run_id DESC, o.version_id"
#define KEYS4 "?, ?, ?, ?"
#define KEYS16 KEYS4 ", " KEYS4 ", " KEYS4 ", " KEYS4
static const char find_chunk[] = NEWEST(KEYS16 ", " KEYS16);
#define CHUNK_VERSION 4

/* How many output names a run lists (runs.outputs, one per line). */
static size_t count_lines(const char *text) {
  if (text == NULL || text[0] == '\0')
    return 0;
  size_t n = 1;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

/* Whether the file of the row (columns from `col`: version, published,
 * sha256, size, inline content) is intact as far as one stat can tell
 * (present, recorded size, sealed), or, for a blob kept in the database,
 * as its hash tells: a damaged blob is never reused. */
static bool file_intact(tl_store *store, sqlite3_stmt *st, int col) {
  const char *hex = (const char *)sqlite3_column_text(st, col + 2);
  if (hex == NULL)
    return true; /* a version without files */
  uint64_t size = (uint64_t)sqlite3_column_int64(st, col + 3);
  /* The blob's row, joined in (NULL: none; a zero-length row is a blob). */
  bool in_db = sqlite3_column_type(st, col + 4) != SQLITE_NULL;
  const void *row = in_db ? sqlite3_column_blob(st, col + 4) : NULL;
  size_t row_size = in_db ? (size_t)sqlite3_column_bytes(st, col + 4) : 0;
  tl_blob_state state = TL_BLOB_MISSING;
  return tl_blob_check_read(store, hex, size, in_db, row, row_size, &state,
                            NULL) == AERO_OK &&
         state == TL_BLOB_INTACT;
}

/* Whether the row holds a published version (columns from `col`). */
static bool row_published(sqlite3_stmt *st, int col) {
  return sqlite3_column_type(st, col) != SQLITE_NULL &&
         sqlite3_column_int(st, col + 1) == 1;
}

/* One candidate run, read row by row: its outputs are complete when every
 * output it lists has a published version it holds, and every file of
 * those versions is intact. */
typedef struct candidate {
  int64_t id, ended_ns; /* id 0: none yet */
  size_t expected;      /* output names it lists */
  size_t held;          /* published versions it holds, so far */
  int64_t last;         /* the last version counted */
  bool intact;          /* no file found wanting, so far */
} candidate;

static bool complete(const candidate *c) {
  return c->id != 0 && c->intact && c->held == c->expected;
}

/* The candidate whose id, end and output names are columns `col` to
 * col + 2 of the row. */
static candidate candidate_at(sqlite3_stmt *st, int col) {
  return (candidate){
      .id = sqlite3_column_int64(st, col),
      .ended_ns = sqlite3_column_int64(st, col + 1),
      .expected = count_lines((const char *)sqlite3_column_text(st, col + 2)),
      .intact = true};
}

/* Takes one row (a version file of the candidate's from column `col`, or
 * NULLs for none) into `c`. The rows come ordered by version: a version
 * is counted once per run of its rows. */
static void candidate_row(tl_store *store, sqlite3_stmt *st, int col,
                          candidate *c) {
  if (!c->intact || !row_published(st, col))
    return; /* already refused; no output; not published: not held */
  int64_t version = sqlite3_column_int64(st, col);
  if (c->held == 0 || version != c->last)
    c->held++;
  c->last = version;
  if (!file_intact(store, st, col))
    c->intact = false;
}

/* Answers query `q` alone into `match` (newest complete candidate first:
 * an older run with the same key when the newer one's outputs are no
 * longer complete). */
static aero_status find_alone(tl_store *store, const aero_reuse_query *q,
                              aero_reuse_match *match, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store, find_one, &st, err);
  if (status != AERO_OK)
    return status;
  tl_bind_text(st, 1, q->key);
  tl_bind_text(st, 2, q->project);
  tl_bind_text(st, 3, q->job_type);
  tl_bind_text(st, 4, q->entity != NULL ? q->entity : "");
  tl_bind_text(st, 5, q->dev ? "dev" : "prod");
  candidate c = {.id = 0};
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    if (id != c.id) {
      if (complete(&c))
        break; /* the previous candidate is complete */
      c = candidate_at(st, 0);
    }
    candidate_row(store, st, ALONE_VERSION, &c);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "finding a run to reuse", err);
  else if (complete(&c)) {
    match->run_id = c.id;
    match->ended_ns = c.ended_ns;
  }
  tl_finish(store, st);
  return status;
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

/* One query of a chunk. */
typedef struct asked {
  const aero_reuse_query *query;
  aero_reuse_match *match;
  bool fits;  /* the key's newest run is of its project, job type, entity
                 and mode */
  bool alone; /* to be asked alone (find_alone) */
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

/* Whether the row's run (columns 9-12 of find_chunk) is one `q` may
 * reuse: its project, job type, entity and mode. */
static bool row_fits(sqlite3_stmt *st, const aero_reuse_query *q) {
  return strcmp(column_text(st, 9), q->project) == 0 &&
         strcmp(column_text(st, 10), q->job_type) == 0 &&
         strcmp(column_text(st, 11), q->entity != NULL ? q->entity : "") ==
             0 &&
         strcmp(column_text(st, 12), q->dev ? "dev" : "prod") == 0;
}

/* Decides the asks asks[lo..hi) of one key, whose newest run is `c`:
 * answered by it when it is complete and theirs, else asked alone (an
 * older run; another project's with the same key). */
static void settle(const candidate *c, asked *asks, size_t lo, size_t hi) {
  bool whole = complete(c);
  for (size_t k = lo; k < hi; k++) {
    if (whole && asks[k].fits) {
      asks[k].match->run_id = c->id;
      asks[k].match->ended_ns = c->ended_ns;
    } else {
      asks[k].alone = true;
    }
  }
}

/* Answers the `n` queries (2 to CHUNK) from `first` on. */
static aero_status find_some(tl_store *store, const aero_reuse_query *queries,
                             aero_reuse_match *matches, size_t first, size_t n,
                             aero_error *err) {
  asked asks[CHUNK];
  for (size_t i = 0; i < n; i++)
    asks[i] = (asked){.query = query_at(queries, first + i),
                      .match = match_at(matches, first + i)};
  /* Sorted, the asks of one key (two actions may share one) are side by
   * side, and the rows (by key, descending) come for them from the last
   * to the first. */
  aeu_sort(asks, n, sizeof *asks, by_key);
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store, find_chunk, &st, err);
  if (status != AERO_OK)
    return status;
  /* A short chunk's other keys stay unbound: NULL finds nothing. */
  for (size_t i = 0; i < n; i++)
    tl_bind_text(st, 1 + (int)i, asks[i].query->key);
  size_t lo = n, hi = n; /* the asks of the current rows' key */
  candidate c = {.id = 0}; /* that key's newest run */
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *key = column_text(st, 0);
    if (lo == n || strcmp(key, asks[lo].query->key) != 0) {
      if (lo < n)
        settle(&c, asks, lo, hi);
      lo = first_with(asks, n, key);
      for (hi = lo; hi < n && strcmp(asks[hi].query->key, key) == 0; hi++)
        ;
      if (lo == n)
        continue; /* not asked (cannot happen) */
      c = candidate_at(st, 1);
      for (size_t k = lo; k < hi; k++)
        asks[k].fits = row_fits(st, asks[k].query);
    } else if (sqlite3_column_int64(st, 1) != c.id) {
      /* A second `ok` run of this key: this key's asks and those of the
       * keys still to come (before it in asks) are asked alone. */
      for (size_t k = 0; k < hi; k++)
        asks[k].alone = true;
      lo = n;
      rc = SQLITE_DONE;
      break;
    }
    candidate_row(store, st, CHUNK_VERSION, &c);
  }
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "finding a run to reuse", err);
  else if (lo < n)
    settle(&c, asks, lo, hi);
  tl_finish(store, st);
  /* A key without an `ok` run has nothing to find: neither answered nor
   * asked alone. */
  for (size_t k = 0; status == AERO_OK && k < n; k++)
    if (asks[k].alone)
      status = find_alone(store, asks[k].query, asks[k].match, err);
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
  for (size_t first = 0; status == AERO_OK && first < count; first += CHUNK) {
    size_t n = count - first < CHUNK ? count - first : CHUNK;
    status = n == 1 ? find_alone(store, query_at(queries, first),
                                 match_at(matches, first), err)
                    : find_some(store, queries, matches, first, n, err);
  }
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

/* One lookup is a batch of one: find_alone. */
aero_status tl_reuse_find(void *handle, const aero_reuse_query *query,
                          aero_reuse_match *match, aero_error *err) {
  return pc_reuse_find_one(handle, "tracker-local", tl_reuse_find_batch, query,
                           match, err);
}
