/* tracker-local: the reuse members. A run's reuse key (computed by the
 * host) is kept in run_keys; a reused run is a row of `runs` with status
 * `reused` and `reused_run` pointing at the run it stands for, whose
 * outputs it holds (the view run_outputs; recorded by reused_runs.c). A
 * run to reuse is found by reuse_find.c. */
#include "local.h"

aero_status tl_reuse_migrate(tl_store *store, aero_error *err) {
  /* A CHECK constraint that allows more: edited in place
   * (schema_edit.c). */
  static const char allow_reused[] =
      "UPDATE sqlite_schema SET sql = replace(sql, '''bailed'')', "
      "'''bailed'', ''reused'')') WHERE type = 'table' AND name = 'runs';";
  static const char tables[] =
      "ALTER TABLE runs ADD COLUMN reused_run INTEGER REFERENCES runs (id);"
      "CREATE TABLE run_keys ("
      " run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
      " key TEXT NOT NULL,"
      " job TEXT NOT NULL,"
      " parts TEXT NOT NULL);"
      "CREATE INDEX run_keys_by_key ON run_keys (key, run_id);"
      "CREATE INDEX run_keys_by_job ON run_keys (job, run_id);";
  aero_status status = tl_schema_edit(store, allow_reused, err);
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
