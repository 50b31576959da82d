/* tracker-local: streaming a run's metric points (query_metrics) in
 * batches, never holding more than one batch: `aeromancy metrics` on a run
 * of millions of points uses the memory of a few thousand.
 *
 * Points come in index order (metrics_points: run, key, step, then id,
 * which is logging order), so no sort is needed, and the index also holds
 * each point's value and time (a covering index), so SQLite never looks a
 * point up in the table: a run's points are one ordered pass over
 * adjacent index pages. That costs ~20 bytes per point of store size and
 * saves about a quarter of the read's CPU (docs/performance.md). Consecutive
 * points almost always share their key: a batch copies a key once per change
 * into its own buffer, and is handed over when either fills.
 */
#include "local.h"

#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 2048
#define BATCH_KEYS (64 * 1024)

typedef struct batch {
  aero_metric_row rows[BATCH_ROWS];
  size_t count;
  char keys[BATCH_KEYS];
  size_t keys_used;
  const char *last_key; /* in `keys`; NULL after a flush */
} batch;

static aero_status flush(batch *b, aero_metric_rows_fn each, void *ctx,
                         aero_error *err) {
  aero_status status =
      b->count > 0 ? each(ctx, b->rows, b->count, err) : AERO_OK;
  b->count = 0;
  b->keys_used = 0;
  b->last_key = NULL;
  return status;
}

static aero_status stream(tl_store *store, sqlite3_stmt *st, batch *b,
                          aero_metric_rows_fn each, void *ctx,
                          aero_error *err) {
  aero_status status = AERO_OK;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *key = (const char *)sqlite3_column_text(st, 0);
    size_t key_len = (size_t)sqlite3_column_bytes(st, 0);
    if (b->last_key == NULL || strcmp(b->last_key, key) != 0) {
      if (key_len + 1 > BATCH_KEYS - b->keys_used) {
        status = flush(b, each, ctx, err);
        if (status != AERO_OK)
          return status;
        if (key_len + 1 > BATCH_KEYS)
          return aero_fail(err, AERO_E_STORE, "%s: a metric key of %zu bytes",
                           store->db_path, key_len);
      }
      char *copy = b->keys + b->keys_used;
      memcpy(copy, key, key_len + 1);
      b->keys_used += key_len + 1;
      b->last_key = copy;
    }
    aero_metric_row *row = &b->rows[b->count++];
    row->key = b->last_key;
    row->value = sqlite3_column_double(st, 1);
    row->step = sqlite3_column_type(st, 2) == SQLITE_NULL
                    ? AERO_NO_STEP
                    : sqlite3_column_int64(st, 2);
    row->logged_ns = sqlite3_column_int64(st, 3);
    if (b->count == BATCH_ROWS) {
      status = flush(b, each, ctx, err);
      if (status != AERO_OK)
        return status;
    }
  }
  if (rc != SQLITE_DONE)
    return tl_db_fail(store, rc, "reading metrics", err);
  return AERO_OK;
}

aero_status tl_points_migrate(tl_store *store, aero_error *err) {
  return tl_exec(store,
                 "CREATE INDEX metrics_points ON metrics"
                 " (run_id, key, step, id, value, logged_at);"
                 "DROP INDEX metrics_by_run;",
                 err);
}

aero_status tl_query_metrics(void *handle, const aero_metric_query *query,
                             aero_metric_rows_fn each, void *ctx,
                             aero_error *err) {
  tl_store *store = handle;
  if (query == NULL || each == NULL ||
      query->struct_size < sizeof(aero_metric_query) ||
      (query->key_count > 0 && query->keys == NULL))
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-local: query_metrics needs a query and a "
                     "callback");
  batch *b = malloc(sizeof *b);
  if (b == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  b->count = 0;
  b->keys_used = 0;
  b->last_key = NULL;
  sqlite3_stmt *st = NULL;
  aero_status status = tl_read_begin(store, err);
  if (status != AERO_OK)
    goto done;
  if (query->key_count == 0) {
    status = tl_prepare(store,
                        "SELECT key, value, step, logged_at FROM metrics "
                        "WHERE run_id = ? ORDER BY key, step, id",
                        &st, err);
    if (status == AERO_OK) {
      sqlite3_bind_int64(st, 1, query->run_id);
      status = stream(store, st, b, each, ctx, err);
      tl_finish(store, st);
    }
  } else {
    /* One index range per key, in the order asked. */
    for (size_t i = 0; status == AERO_OK && i < query->key_count; i++) {
      status = tl_prepare(store,
                          "SELECT key, value, step, logged_at FROM metrics "
                          "WHERE run_id = ? AND key = ? ORDER BY step, id",
                          &st, err);
      if (status != AERO_OK)
        break;
      sqlite3_bind_int64(st, 1, query->run_id);
      tl_bind_text(st, 2, query->keys[i]);
      status = stream(store, st, b, each, ctx, err);
      tl_finish(store, st);
    }
  }
  if (status == AERO_OK)
    status = flush(b, each, ctx, err);
  tl_read_end(store);
done:
  free(b);
  return status;
}
