/* tracker-local: metric points stored in blocks (schema 5).
 *
 * One SQLite row per point capped recording at what SQLite inserts a row
 * in (about 450,000 rows/s with the index, docs/performance.md), under the
 * one million points/s that one action logging a point a call reaches.
 * A metric_blocks row holds the points of one key of one recorded batch:
 * their steps, values and times as three little-endian arrays of 8-byte
 * integers and IEEE doubles (exact: a value reads back bit for bit).
 *
 * Inside a block the points are sorted by step (AERO_NO_STEP, -1, first)
 * and then by logging order, the order readers hand them over in; blocks
 * are numbered in logging order (id), so that points of equal step in two
 * blocks still come out in the order they were logged (query_metrics.c
 * merges them). A block's first_step and last_step are its lowest and
 * highest step, NULL for AERO_NO_STEP, which SQLite sorts first.
 */
#include "local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char table_sql[] =
    "CREATE TABLE metric_blocks ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " count INTEGER NOT NULL CHECK (count > 0),"
    " first_step INTEGER,"
    " last_step INTEGER,"
    " steps BLOB NOT NULL,"
    " vals BLOB NOT NULL,"
    " times BLOB NOT NULL);"
    "CREATE INDEX metric_blocks_by_run ON metric_blocks"
    " (run_id, key, first_step, id);";

static void put_f64(unsigned char *p, double d) {
  int64_t bits;
  memcpy(&bits, &d, sizeof bits);
  tl_put_i64(p, bits);
}

/* Writes one block of `n` points whose arrays are already encoded and
 * sorted, and adds them to the key's summary. */
static aero_status write_block(tl_store *store, int64_t run_id, const char *key,
                               size_t n, const unsigned char *steps,
                               const unsigned char *vals,
                               const unsigned char *times, aero_error *err) {
  int64_t first = tl_get_i64(steps), last = tl_get_i64(steps + 8 * (n - 1));
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store,
      "INSERT INTO metric_blocks (run_id, key, count, first_step, last_step, "
      "steps, vals, times) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      &st, err);
  if (status != AERO_OK)
    return status;
  int bytes = (int)(8 * n);
  sqlite3_bind_int64(st, 1, run_id);
  tl_bind_text(st, 2, key);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)n);
  if (first == AERO_NO_STEP)
    sqlite3_bind_null(st, 4);
  else
    sqlite3_bind_int64(st, 4, first);
  if (last == AERO_NO_STEP)
    sqlite3_bind_null(st, 5);
  else
    sqlite3_bind_int64(st, 5, last);
  sqlite3_bind_blob(st, 6, steps, bytes, SQLITE_STATIC);
  sqlite3_bind_blob(st, 7, vals, bytes, SQLITE_STATIC);
  sqlite3_bind_blob(st, 8, times, bytes, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "recording metrics", err);
  tl_finish(store, st);
  return status;
}

/* Points of one block being built: three arrays of `cap` 8-byte slots. */
typedef struct builder {
  unsigned char *steps, *vals, *times;
  size_t n, cap;
  tl_summary_part sum;
} builder;

static aero_status builder_init(builder *b, size_t cap, aero_error *err) {
  *b = (builder){.cap = cap};
  b->steps = malloc(cap * 24);
  if (b->steps == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  b->vals = b->steps + cap * 8;
  b->times = b->vals + cap * 8;
  return AERO_OK;
}

/* Appends a point; points come in block order, so the last one appended
 * is the summary's last. */
static void builder_add(builder *b, int64_t step, double value, int64_t ns) {
  tl_put_i64(b->steps + 8 * b->n, step);
  put_f64(b->vals + 8 * b->n, value);
  tl_put_i64(b->times + 8 * b->n, ns);
  if (b->n == 0 || value < b->sum.min)
    b->sum.min = value;
  if (b->n == 0 || value > b->sum.max)
    b->sum.max = value;
  b->sum.last = value;
  b->sum.last_step = step;
  b->n++;
}

/* Writes the block built so far (if any) and its summary, and empties it. */
static aero_status builder_flush(tl_store *store, int64_t run_id,
                                 const char *key, builder *b, aero_error *err) {
  if (b->n == 0)
    return AERO_OK;
  aero_status status =
      write_block(store, run_id, key, b->n, b->steps, b->vals, b->times, err);
  b->sum.key = key;
  b->sum.count = (int64_t)b->n;
  if (status == AERO_OK)
    status = tl_summary_add(store, run_id, &b->sum, err);
  b->n = 0;
  return status;
}

/* A batch's point in block order: key, then step, then position. */
typedef struct place {
  const char *key;
  int64_t step;
  size_t i;
} place;

static int by_key_step(const place *a, const place *b) {
  int c = a->key == b->key ? 0 : strcmp(a->key, b->key);
  if (c != 0)
    return c;
  if (a->step != b->step)
    return a->step < b->step ? -1 : 1;
  return a->i < b->i ? -1 : a->i > b->i;
}

static int cmp_place(const void *a, const void *b) {
  return by_key_step(a, b);
}

aero_status tl_blocks_record(tl_store *store, int64_t run_id,
                             const aero_metric_row *rows, size_t count,
                             aero_error *err) {
  place *order = malloc(count * sizeof *order);
  if (order == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  /* Batches from one action are almost always one key in step order:
   * sorting is then skipped. */
  bool sorted = true;
  for (size_t i = 0; i < count; i++) {
    order[i] = (place){rows[i].key, rows[i].step, i};
    if (i > 0 && sorted && by_key_step(&order[i - 1], &order[i]) > 0)
      sorted = false;
  }
  if (!sorted)
    aeu_sort(order, count, sizeof *order, cmp_place);
  builder b;
  aero_status status = builder_init(&b, count, err);
  const char *key = NULL;
  for (size_t i = 0; status == AERO_OK && i < count; i++) {
    const aero_metric_row *r = &rows[order[i].i];
    if (key != NULL && strcmp(key, r->key) != 0)
      status = builder_flush(store, run_id, key, &b, err);
    key = r->key;
    builder_add(&b, r->step, r->value, r->logged_ns);
  }
  if (status == AERO_OK)
    status = builder_flush(store, run_id, key, &b, err);
  free(b.steps);
  free(order);
  return status;
}

/* The metrics view: the points of every block, one row per point, with
 * the columns of the schema 4 table (and block_id, point: where it is
 * stored), for people and scripts reading the store with the sqlite3
 * shell. It decodes the arrays in plain SQL (hex digits, then the IEEE
 * fields with pow(), exact for every finite double), a few microseconds a
 * point and over the whole store: aeromancy never reads it, and volume
 * belongs to `aeromancy metrics RUN --csv`. */

#define HEX_DIGITS "'0123456789ABCDEF'"

/* Appends to `out` the SQL value of the little-endian integer in bytes
 * 0 to `bytes` - 1 of the hex digits in column `h`. */
static void hex_integer(char *out, size_t size, const char *h, int bytes) {
  size_t used = strlen(out);
  for (int k = 0; k < bytes; k++)
    used += (size_t)snprintf(out + used, size - used,
                             "%s(instr(" HEX_DIGITS ", substr(%s, %d, 1)) * 16"
                             " + instr(" HEX_DIGITS ", substr(%s, %d, 1)) - 17)"
                             " * %lld",
                             k > 0 ? " + " : "", h, 2 * k + 1, h, 2 * k + 2,
                             1LL << (8 * k));
}

/* The digit at `at` (1-based) of column v, as a number. */
#define V_DIGIT(at) "(instr(" HEX_DIGITS ", substr(v, " #at ", 1)) - 1)"

static char *view_sql(void) {
  size_t size = 16384;
  char *sql = malloc(size);
  if (sql == NULL)
    return NULL;
  /* Byte 7 (digits 15, 16) holds the sign and the exponent's high bits,
   * digit 13 its low bits, digit 14 and bytes 0-5 the fraction. */
  snprintf(
      sql, size,
      "CREATE VIEW metrics AS WITH RECURSIVE"
      " p(block_id, point) AS (SELECT id, 0 FROM metric_blocks"
      "  UNION ALL SELECT p.block_id, p.point + 1 FROM p"
      "  JOIN metric_blocks b ON b.id = p.block_id"
      "  WHERE p.point + 1 < b.count),"
      " h AS (SELECT b.run_id, b.key, p.block_id, p.point,"
      "  hex(substr(b.steps, 8 * p.point + 1, 8)) AS s,"
      "  hex(substr(b.vals, 8 * p.point + 1, 8)) AS v,"
      "  hex(substr(b.times, 8 * p.point + 1, 8)) AS t"
      "  FROM p JOIN metric_blocks b ON b.id = p.block_id),"
      " f AS (SELECT run_id, key, block_id, point, s, t,"
      "  " V_DIGIT(
          15) " >= 8 AS negative,"
              "  (" V_DIGIT(15) " %% 8) * 256 + " V_DIGIT(
                  16) " * 16 + " V_DIGIT(13) " AS exponent,"
                                             "  " V_DIGIT(
                                                 14) " * 281474976710656 + ");
  hex_integer(sql, size, "v", 6);
  size_t used = strlen(sql);
  snprintf(sql + used, size - used,
           " AS fraction FROM h)"
           " SELECT run_id, key,"
           "  (CASE WHEN negative THEN -1 ELSE 1 END) *"
           "  (CASE WHEN exponent = 0 THEN fraction * pow(2, -1074)"
           "   ELSE (4503599627370496 + fraction) * pow(2, exponent - 1075)"
           "   END) AS value,"
           "  CASE WHEN s = 'FFFFFFFFFFFFFFFF' THEN NULL ELSE ");
  hex_integer(sql, size, "s", 8);
  used = strlen(sql);
  snprintf(sql + used, size - used, " END AS step, ");
  hex_integer(sql, size, "t", 8);
  used = strlen(sql);
  snprintf(sql + used, size - used, " AS logged_at, block_id, point FROM f");
  return sql;
}

/* The connection's secure_delete setting (1 on, 0 off), -1 unknown. */
static int secure_delete_state(tl_store *store) {
  sqlite3_stmt *st = NULL;
  int state = -1;
  if (sqlite3_prepare_v2(store->db, "PRAGMA secure_delete", -1, &st, NULL) ==
          SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    state = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return state;
}

aero_status tl_points_migrate(tl_store *store, aero_error *err) {
  return tl_exec(store,
                 "CREATE INDEX metrics_points ON metrics"
                 " (run_id, key, step, id, value, logged_at);"
                 "DROP INDEX metrics_by_run;",
                 err);
}

/* Points per block when converting a schema 4 store: its points are read
 * in block order already, so blocks never overlap. */
#define MIGRATE_BLOCK 4096

aero_status tl_blocks_migrate(tl_store *store, aero_error *err) {
  aero_status status = tl_exec(store, table_sql, err);
  if (status != AERO_OK)
    return status;
  builder b;
  status = builder_init(&b, MIGRATE_BLOCK, err);
  if (status != AERO_OK)
    return status;
  /* The summaries already hold these points: only the blocks are
   * written, so write_block is called without builder_flush. */
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(store->db,
                              "SELECT run_id, key, value, step, logged_at "
                              "FROM metrics ORDER BY run_id, key, step, id",
                              -1, &st, NULL);
  if (rc != SQLITE_OK)
    status = tl_db_fail(store, rc, "reading the metrics table", err);
  int64_t run_id = 0;
  char *key = NULL;
  while (status == AERO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t run = sqlite3_column_int64(st, 0);
    const char *k = (const char *)sqlite3_column_text(st, 1);
    bool same = key != NULL && run == run_id && strcmp(k, key) == 0;
    if (b.n > 0 && (!same || b.n == b.cap)) {
      status =
          write_block(store, run_id, key, b.n, b.steps, b.vals, b.times, err);
      b.n = 0;
    }
    if (status == AERO_OK && !same) {
      free(key);
      key = strdup(k);
      run_id = run;
      if (key == NULL)
        status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
    }
    if (status == AERO_OK)
      builder_add(&b,
                  sqlite3_column_type(st, 3) == SQLITE_NULL
                      ? AERO_NO_STEP
                      : sqlite3_column_int64(st, 3),
                  sqlite3_column_double(st, 2), sqlite3_column_int64(st, 4));
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "reading the metrics table", err);
  if (status == AERO_OK && b.n > 0)
    status =
        write_block(store, run_id, key, b.n, b.steps, b.vals, b.times, err);
  sqlite3_finalize(st);
  free(key);
  free(b.steps);
  /* SQLite as Debian builds it overwrites every page it frees with zeros
   * (secure_delete): for the old table that is writing its whole size
   * again through the WAL under the write lock (190 s for 10,000,000
   * points at load 24, of 14.6 s of CPU). Its points live on in the
   * blocks, so its pages are freed as they are. */
  int secure = secure_delete_state(store);
  if (status == AERO_OK)
    status =
        tl_exec(store, "PRAGMA secure_delete = OFF; DROP TABLE metrics", err);
  if (secure > 0)
    sqlite3_exec(store->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL);
  char *view = status == AERO_OK ? view_sql() : NULL;
  if (status == AERO_OK && view == NULL)
    status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  if (status == AERO_OK)
    status = tl_exec(store, view, err);
  free(view);
  return status;
}

bool tl_block_view(sqlite3_stmt *st, int first, tl_block *out) {
  const void *arrays[3];
  size_t sizes[3];
  for (int i = 0; i < 3; i++) {
    arrays[i] = sqlite3_column_blob(st, first + 1 + i);
    sizes[i] = (size_t)sqlite3_column_bytes(st, first + 1 + i);
  }
  return tl_block_decode(sqlite3_column_int64(st, first), arrays, sizes, out);
}
