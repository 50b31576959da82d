/* tracker-local: how a run ends, in one transaction: its row updated,
 * and its outputs published (declared.c's small ones, settle.c's pending
 * versions and links) or discarded. For this handle's runs (runs.c's
 * run_end) and for a dead owner's (owners.c). */
#include "local.h"

#include <string.h>

aero_status tl_run_mode(tl_store *store, int64_t run_id, bool *dev,
                        aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store, "SELECT mode, status FROM run_records WHERE id = ?", &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, run_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    const char *state = (const char *)sqlite3_column_text(st, 1);
    if (state == NULL || strcmp(state, "running") != 0)
      status = aero_fail(err, AERO_E_STATE,
                         "%s: run %lld has already ended (%s)", store->db_path,
                         (long long)run_id, state != NULL ? state : "?");
    else
      *dev = mode != NULL && strcmp(mode, "dev") == 0;
  } else if (rc == SQLITE_DONE) {
    status = aero_fail(err, AERO_E_NOT_FOUND, "%s: there is no run %lld",
                       store->db_path, (long long)run_id);
  } else {
    status = tl_db_fail(store, rc, "reading a run", err);
  }
  tl_finish(store, st);
  return status;
}

static aero_status update_run(tl_store *store, int64_t run_id,
                              const aero_run_outcome *out, const char *state,
                              aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store,
                                  "UPDATE run_records SET status = ?, "
                                  "exit_code = ?, signal = ?, message = ?, "
                                  "ended_at = ? WHERE id = ?",
                                  &st, err);
  if (status != AERO_OK)
    return status;
  tl_bind_text(st, 1, state);
  if (out->exit_code >= 0)
    sqlite3_bind_int(st, 2, out->exit_code);
  if (out->signal > 0)
    sqlite3_bind_int(st, 3, out->signal);
  tl_bind_text(st, 4, out->message);
  sqlite3_bind_int64(st, 5, out->ended_ns != 0 ? out->ended_ns : tl_now_ns());
  sqlite3_bind_int64(st, 6, run_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "recording how a run ended", err);
  tl_finish(store, st);
  return status;
}

int64_t tl_run_last_sign(tl_store *store, int64_t run_id) {
  sqlite3_stmt *st = NULL;
  aero_error *none = NULL;
  int64_t last = 0;
  /* A block's times are in logged order: its last one is its latest. */
  if (tl_prepare(store,
                 "SELECT started_at FROM run_records WHERE id = ?1 UNION ALL "
                 "SELECT max(logged_at) FROM run_logs WHERE run_id = ?1 "
                 "UNION ALL SELECT substr(times, -8) FROM metric_blocks "
                 "WHERE run_id = ?1",
                 &st, none) != AERO_OK)
    return 0;
  sqlite3_bind_int64(st, 1, run_id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    int64_t t = 0;
    if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
      t = sqlite3_column_int64(st, 0);
    else if (sqlite3_column_type(st, 0) == SQLITE_BLOB &&
             sqlite3_column_bytes(st, 0) == 8)
      t = tl_get_i64(sqlite3_column_blob(st, 0));
    if (t > last)
      last = t;
  }
  tl_finish(store, st);
  return last;
}

aero_status tl_run_settle(tl_store *store, int64_t run_id,
                          const aero_run_outcome *outcome, aero_error *err) {
  aero_run_outcome out;
  const char *state = NULL;
  aero_status status =
      pc_run_outcome_read("tracker-local", run_id, outcome, &out, &state, err);
  if (status != AERO_OK)
    return status;
  status = tl_begin(store, err);
  if (status != AERO_OK)
    return status;
  bool dev = false;
  status = tl_run_mode(store, run_id, &dev, err);
  if (status == AERO_OK)
    status = update_run(store, run_id, &out, state, err);
  if (status == AERO_OK && out.state == AERO_RUN_OK)
    status = tl_declared_publish(store, run_id, dev, err);
  if (status == AERO_OK)
    status = tl_versions_settle(store, run_id, out.state == AERO_RUN_OK, err);
  if (status == AERO_OK)
    status = tl_commit(store, err);
  if (status != AERO_OK)
    tl_rollback(store);
  return status;
}
