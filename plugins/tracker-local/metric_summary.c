/* tracker-local: each run's metric summaries (count, min, max, last
 * point), kept in metric_summaries as the points are recorded.
 *
 * Reading a summary (show, the last values of a runs listing, the web
 * page's run) then costs one row per key instead of a pass over every
 * point: a run may hold millions. Recording pays one upsert per block
 * (a key of a batch of points, metric_blocks.c), in the batch's own
 * transaction, so a summary always agrees with the points beside it.
 *
 * "Last" is the point that sorts last by (step, logging order) with no
 * step before any step, as the points are read back (query_metrics.c):
 * the highest step, the latest logged among equal steps.
 */
#include "local.h"

#include <string.h>

static const char table_sql[] =
    "CREATE TABLE metric_summaries ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " count INTEGER NOT NULL,"
    " min_value REAL NOT NULL,"
    " max_value REAL NOT NULL,"
    " last_value REAL NOT NULL,"
    " last_step INTEGER,"
    " PRIMARY KEY (run_id, key)) WITHOUT ROWID;";

/* The summaries of the points already in a store made before the table
 * existed. The last point's step is the highest step (NULL when none has
 * one); its value is read from the index backwards. */
static const char backfill_sql[] =
    "INSERT INTO metric_summaries (run_id, key, count, min_value, max_value,"
    " last_value, last_step)"
    " SELECT run_id, key, count(*), min(value), max(value),"
    "  (SELECT l.value FROM metrics l WHERE l.run_id = m.run_id AND"
    "   l.key = m.key ORDER BY l.step DESC, l.id DESC LIMIT 1),"
    "  max(step)"
    " FROM metrics m GROUP BY run_id, key;";

aero_status tl_summary_migrate(tl_store *store, aero_error *err) {
  aero_status status = tl_exec(store, table_sql, err);
  if (status == AERO_OK)
    status = tl_exec(store, backfill_sql, err);
  return status;
}

/* Whether the batch's last point (excluded) comes after the stored one:
 * a higher or equal step (logged later), and no step before any step. */
#define LATER                                                                  \
  "(CASE WHEN excluded.last_step IS NULL THEN last_step IS NULL ELSE "         \
  "last_step IS NULL OR excluded.last_step >= last_step END)"

aero_status tl_summary_add(tl_store *store, int64_t run_id,
                           const tl_summary_part *p, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store,
      "INSERT INTO metric_summaries (run_id, key, count, min_value, "
      "max_value, last_value, last_step) VALUES (?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (run_id, key) DO UPDATE SET "
      "count = count + excluded.count, "
      "min_value = min(min_value, excluded.min_value), "
      "max_value = max(max_value, excluded.max_value), "
      "last_value = CASE WHEN " LATER " THEN excluded.last_value "
      "ELSE last_value END, "
      "last_step = CASE WHEN " LATER " THEN excluded.last_step "
      "ELSE last_step END",
      &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, run_id);
  tl_bind_text(st, 2, p->key);
  sqlite3_bind_int64(st, 3, p->count);
  sqlite3_bind_double(st, 4, p->min);
  sqlite3_bind_double(st, 5, p->max);
  sqlite3_bind_double(st, 6, p->last);
  if (p->last_step == AERO_NO_STEP)
    sqlite3_bind_null(st, 7);
  else
    sqlite3_bind_int64(st, 7, p->last_step);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "recording a metric summary", err);
  tl_finish(store, st);
  return status;
}

typedef struct summary_ctx {
  tl_summary_fn each;
  void *ctx;
} summary_ctx;

static aero_status summary_row(void *ctx, sqlite3_stmt *st, aero_error *err) {
  summary_ctx *c = ctx;
  aero_metric_summary m = {.struct_size = sizeof m,
                           .key = (const char *)sqlite3_column_text(st, 0),
                           .count = sqlite3_column_int64(st, 1),
                           .min = sqlite3_column_double(st, 2),
                           .max = sqlite3_column_double(st, 3),
                           .last = sqlite3_column_double(st, 4),
                           .last_step =
                               sqlite3_column_type(st, 5) == SQLITE_NULL
                                   ? AERO_NO_STEP
                                   : sqlite3_column_int64(st, 5)};
  return c->each(c->ctx, &m, err);
}

aero_status tl_summary_each(tl_store *store, int64_t run_id, tl_summary_fn each,
                            void *ctx, aero_error *err) {
  summary_ctx c = {each, ctx};
  return tl_each_row(store,
                     "SELECT key, count, min_value, max_value, last_value, "
                     "last_step FROM metric_summaries WHERE run_id = ? "
                     "ORDER BY key",
                     run_id, summary_row, &c, "reading metric summaries", err);
}
