/* tracker-local: recording runs, their config, tags, environment, metrics
 * and text logs. */
#include "local.h"

#include <stdlib.h>
#include <string.h>

/* Inserts the run `rec` as running. Its environment facts go to its
 * invocation (invocations.c); reused runs are inserted by reused_runs.c. */
static aero_status insert_run(tl_store *store, const aero_run_record *rec,
                              int64_t *run_id, aero_error *err) {
  static const char sql[] =
      "INSERT INTO run_records (entity, project, job_type, job_group, "
      "outputs, mode, status, started_at, invocation_id) VALUES (?, ?, ?, ?, "
      "?, ?, 'running', ?, ?)";
  int64_t invocation = 0;
  aero_status status = tl_invocation_of(store, rec, &invocation, err);
  if (status != AERO_OK)
    return status;
  char *outputs = pc_join_outputs(rec);
  if (outputs == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  sqlite3_stmt *st = NULL;
  status = tl_prepare(store, sql, &st, err);
  if (status != AERO_OK)
    goto done;
  tl_bind_text(st, 1, rec->entity != NULL ? rec->entity : "");
  tl_bind_text(st, 2, rec->project);
  tl_bind_text(st, 3, rec->job_type);
  tl_bind_text(st, 4, rec->job_group);
  tl_bind_text(st, 5, outputs);
  tl_bind_text(st, 6, rec->dev ? "dev" : "prod");
  sqlite3_bind_int64(st, 7,
                     rec->started_ns != 0 ? rec->started_ns : tl_now_ns());
  sqlite3_bind_int64(st, 8, invocation);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) {
    status = tl_db_fail(store, rc, "recording a run", err);
    goto done;
  }
  *run_id = sqlite3_last_insert_rowid(store->db);
done:
  tl_finish(store, st);
  free(outputs);
  return status;
}

bool tl_run_has_env_rows(const aero_run_record *rec) {
  for (size_t i = 0; i < rec->environment_count; i++)
    if (pc_env_column(rec->environment[i].key) < 0)
      return true;
  return false;
}

aero_status tl_run_pairs(tl_store *store, int64_t run_id,
                         const aero_run_record *rec, aero_error *err) {
  /* Most reused runs have nothing to write here: no statement is readied
   * and reset for them. */
  if (rec->config_count == 0 && rec->tag_count == 0 && !tl_run_has_env_rows(rec))
    return AERO_OK;
  sqlite3_stmt *config = NULL, *tags = NULL, *env = NULL;
  aero_status status =
      tl_prepare(store,
                 "INSERT OR REPLACE INTO run_config (run_id, key, type, value) "
                 "VALUES (?, ?, ?, ?)",
                 &config, err);
  if (status == AERO_OK)
    status = tl_prepare(store,
                        "INSERT OR IGNORE INTO run_tags (run_id, tag) "
                        "VALUES (?, ?)",
                        &tags, err);
  if (status == AERO_OK)
    status = tl_prepare(store,
                        "INSERT OR REPLACE INTO run_env (run_id, key, value) "
                        "VALUES (?, ?, ?)",
                        &env, err);
  if (status != AERO_OK)
    goto done;
  for (size_t i = 0; i < rec->config_count; i++) {
    const aero_kv *kv = &rec->config[i];
    sqlite3_reset(config);
    sqlite3_bind_int64(config, 1, run_id);
    if (!tl_bind_kv(config, 2, kv)) {
      status = aero_fail(err, AERO_E_INVALID,
                         "tracker-local: config '%s' has unknown value type %u",
                         kv->key, (unsigned)kv->value.type);
      goto done;
    }
    int rc = sqlite3_step(config);
    if (rc != SQLITE_DONE) {
      status = tl_db_fail(store, rc, "recording the run's config", err);
      goto done;
    }
  }
  for (size_t i = 0; i < rec->tag_count; i++) {
    sqlite3_reset(tags);
    sqlite3_bind_int64(tags, 1, run_id);
    tl_bind_text(tags, 2, rec->tags[i]);
    int rc = sqlite3_step(tags);
    if (rc != SQLITE_DONE) {
      status = tl_db_fail(store, rc, "recording the run's tags", err);
      goto done;
    }
  }
  for (size_t i = 0; i < rec->environment_count; i++) {
    if (pc_env_column(rec->environment[i].key) >= 0)
      continue;
    sqlite3_reset(env);
    sqlite3_bind_int64(env, 1, run_id);
    tl_bind_text(env, 2, rec->environment[i].key);
    tl_bind_env_value(env, 3, &rec->environment[i].value);
    int rc = sqlite3_step(env);
    if (rc != SQLITE_DONE) {
      status = tl_db_fail(store, rc, "recording the run's environment", err);
      goto done;
    }
  }
done:
  tl_finish(store, env);
  tl_finish(store, tags);
  tl_finish(store, config);
  return status;
}

/* Records which live handle owns the run (owners.c). */
static aero_status insert_owner(tl_store *store, int64_t run_id,
                                aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store, "INSERT INTO run_env (run_id, key, value) VALUES (?, 'owner', ?)",
      &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, run_id);
  tl_bind_text(st, 2, store->owner_token);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "recording the run's owner", err);
  tl_finish(store, st);
  return status;
}

aero_status tl_run_record_read(const aero_run_record *record,
                               aero_run_record *rec, aero_error *err) {
  if (record == NULL || record->struct_size == 0)
    return aero_fail(err, AERO_E_INVALID, "tracker-local: no run record");
  /* Members the caller predates read as zero. */
  memset(rec, 0, sizeof *rec);
  memcpy(rec, record,
         record->struct_size < sizeof *rec ? record->struct_size : sizeof *rec);
  return pc_check_record(rec, err);
}

aero_status tl_run_begin(void *handle, const aero_run_record *record,
                         int64_t *run_id, aero_error *err) {
  tl_store *store = handle;
  aero_run_record rec;
  aero_status status = tl_run_record_read(record, &rec, err);
  if (status == AERO_OK)
    status = tl_owner_claim(store, err);
  if (status != AERO_OK)
    return status;
  status = tl_begin(store, err);
  if (status != AERO_OK)
    return status;
  int64_t id = 0;
  status = insert_run(store, &rec, &id, err);
  if (status == AERO_OK)
    status = tl_run_pairs(store, id, &rec, err);
  if (status == AERO_OK)
    status = insert_owner(store, id, err);
  /* ABI 1.5: its inputs and reuse key in the same commit (zero from an
   * older host, which makes those calls itself). */
  for (size_t i = 0; status == AERO_OK && i < rec.input_count; i++)
    status = tl_record_input(store, id, rec.input_ids[i], err);
  if (status == AERO_OK && rec.reuse_key != NULL)
    status = tl_reuse_key(store, id, rec.reuse_key, rec.reuse_job,
                          rec.reuse_parts, err);
  if (status == AERO_OK)
    status = tl_commit(store, err);
  if (status != AERO_OK) {
    tl_rollback(store);
    return status;
  }
  store->unended++;
  *run_id = id;
  /* Without room to note it, its outputs are recorded as declared. */
  (void)tl_declared_begun(store, id, NULL);
  return AERO_OK;
}

aero_status tl_run_end(void *handle, int64_t run_id,
                       const aero_run_outcome *outcome, aero_error *err) {
  tl_store *store = handle;
  aero_status status = tl_run_settle(store, run_id, outcome, err);
  if (status == AERO_OK && store->unended > 0)
    store->unended--;
  if (status == AERO_OK)
    tl_declared_ended(store, run_id);
  return status;
}

aero_status tl_log_metric_rows(void *handle, int64_t run_id,
                               const aero_metric_row *rows, size_t count,
                               aero_error *err) {
  tl_store *store = handle;
  if (count == 0)
    return AERO_OK;
  aero_status checked = pc_check_metric_rows("tracker-local", rows, count, err);
  if (checked != AERO_OK)
    return checked;
  aero_status status = tl_begin(store, err);
  if (status != AERO_OK)
    return status;
  status = tl_blocks_record(store, run_id, rows, count, err);
  if (status == AERO_OK)
    status = tl_commit(store, err);
  if (status != AERO_OK)
    tl_rollback(store);
  return status;
}

aero_status tl_log_metrics(void *handle, int64_t run_id,
                           const aero_metric *metrics, size_t count,
                           int64_t step, aero_error *err) {
  return pc_log_metrics_as_rows("tracker-local", handle, run_id, metrics, count,
                                step, tl_now_ns(), tl_log_metric_rows, err);
}

aero_status tl_log_text(void *handle, int64_t run_id, aero_log_level level,
                        const char *message, aero_error *err) {
  tl_store *store = handle;
  const char *name = pc_level_name(level);
  if (name == NULL)
    return aero_fail(err, AERO_E_INVALID, "tracker-local: unknown log level %d",
                     (int)level);
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store,
                                  "INSERT INTO run_logs (run_id, level, "
                                  "message, logged_at) VALUES (?, ?, ?, ?)",
                                  &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, run_id);
  tl_bind_text(st, 2, name);
  tl_bind_text(st, 3, message != NULL ? message : "");
  sqlite3_bind_int64(st, 4, tl_now_ns());
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "recording a log line", err);
  tl_finish(store, st);
  return status;
}
