/* tracker-local: listing runs (query_runs), newest first, filtered and
 * paged by keyset on the run id.
 *
 * The WHERE clause is put together from the filter's members that are
 * set, so SQLite walks the runs table backwards by rowid and stops after
 * `limit` matches: the first page of 100,000 runs costs what it costs on
 * 100. That statement is prepared per call (its text varies); the cost is
 * a few microseconds against a listing's milliseconds.
 */
#include "local.h"

#include <stdio.h>
#include <string.h>

uint32_t tl_state_from_name(const char *name) {
  for (uint32_t state = AERO_RUN_RUNNING; name != NULL && state <= 16; state++)
    if (pc_state_name(state) != NULL && strcmp(pc_state_name(state), name) == 0)
      return state;
  return 0;
}

uint32_t tl_level_from_name(const char *name) {
  for (uint32_t level = AERO_LOG_ERROR; name != NULL && level <= 8; level++)
    if (pc_level_name((aero_log_level)level) != NULL &&
        strcmp(pc_level_name((aero_log_level)level), name) == 0)
      return level;
  return 0;
}

static const char *column_text(sqlite3_stmt *st, int i) {
  return (const char *)sqlite3_column_text(st, i);
}

void tl_run_info_from(sqlite3_stmt *st, int first, aero_run_info *out) {
  const char *mode = column_text(st, first + 7);
  *out = (aero_run_info){
      .struct_size = sizeof *out,
      .id = sqlite3_column_int64(st, first),
      .state = tl_state_from_name(column_text(st, first + 1)),
      .entity = column_text(st, first + 2),
      .project = column_text(st, first + 3),
      .job_type = column_text(st, first + 4),
      .job_group = column_text(st, first + 5),
      .outputs = column_text(st, first + 6),
      .dev = mode != NULL && strcmp(mode, "dev") == 0,
      .exit_code = sqlite3_column_type(st, first + 8) == SQLITE_NULL
                       ? -1
                       : sqlite3_column_int(st, first + 8),
      .signal = sqlite3_column_int(st, first + 9),
      .message = column_text(st, first + 10),
      .started_ns = sqlite3_column_int64(st, first + 11),
      .ended_ns = sqlite3_column_int64(st, first + 12),
      .git_commit = column_text(st, first + 13),
      .git_branch = column_text(st, first + 14),
      .reused_run = sqlite3_column_int64(st, first + 15), /* NULL: 0 */
  };
}

/* Appends " AND <clause>" to the query text; false when it does not fit
 * (it always does: the clauses are fixed and few). */
static bool add(char *sql, size_t size, const char *clause) {
  size_t len = strlen(sql);
  return (size_t)snprintf(sql + len, size - len, " AND %s", clause) <
         size - len;
}

aero_status tl_query_runs(void *handle, const aero_run_filter *filter,
                          aero_status (*each)(void *, const aero_run_info *,
                                              aero_error *),
                          void *ctx, aero_error *err) {
  tl_store *store = handle;
  if (filter == NULL || each == NULL ||
      filter->struct_size < offsetof(aero_run_filter, oldest_first) + 1)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-local: query_runs needs a filter and a callback");
  const char *state = NULL;
  if (filter->state != 0 && (state = pc_state_name(filter->state)) == NULL)
    return aero_fail(err, AERO_E_INVALID, "tracker-local: no run state %u",
                     filter->state);
  char sql[1024] = "SELECT " TL_RUN_COLUMNS " FROM " TL_RUN_TABLES " WHERE 1";
  bool ok = true;
  if (filter->project != NULL)
    ok = ok && add(sql, sizeof sql, "r.project = :project");
  if (filter->job_type != NULL)
    ok = ok && add(sql, sizeof sql, "r.job_type = :job_type");
  if (state != NULL)
    ok = ok && add(sql, sizeof sql, "r.status = :state");
  if (filter->tag != NULL)
    ok = ok && add(sql, sizeof sql,
                   "EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id "
                   "AND t.tag = :tag)");
  if (filter->branch != NULL)
    ok = ok && add(sql, sizeof sql, "i.git_branch = :branch");
  if (filter->mode == AERO_MODE_DEV)
    ok = ok && add(sql, sizeof sql, "r.mode = 'dev'");
  else if (filter->mode == AERO_MODE_PROD)
    ok = ok && add(sql, sizeof sql, "r.mode = 'prod'");
  if (filter->since_ns != 0)
    ok = ok && add(sql, sizeof sql, "r.started_at >= :since");
  if (filter->before_id != 0)
    ok = ok && add(sql, sizeof sql, "r.id < :before");
  if (filter->after_id != 0)
    ok = ok && add(sql, sizeof sql, "r.id > :after");
  if (filter->input_version_id != 0)
    ok = ok && add(sql, sizeof sql,
                   "r.id IN (SELECT i.run_id FROM run_inputs i WHERE "
                   "i.version_id = :input)");
  size_t len = strlen(sql);
  if (ok)
    ok = (size_t)snprintf(sql + len, sizeof sql - len, " ORDER BY r.id %s%s",
                          filter->oldest_first ? "ASC" : "DESC",
                          filter->limit != 0 ? " LIMIT :limit" : "") <
         sizeof sql - len;
  if (!ok)
    return aero_fail(err, AERO_E_INVALID, "tracker-local: run query too long");

  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(store->db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return tl_db_fail(store, rc, "preparing the run listing", err);
#define BIND_TEXT(name, value)                                                 \
  tl_bind_text(st, sqlite3_bind_parameter_index(st, name), value)
#define BIND_INT(name, value)                                                  \
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name), value)
  BIND_TEXT(":project", filter->project);
  BIND_TEXT(":job_type", filter->job_type);
  BIND_TEXT(":state", state);
  BIND_TEXT(":tag", filter->tag);
  BIND_TEXT(":branch", filter->branch);
  BIND_INT(":since", filter->since_ns);
  BIND_INT(":before", filter->before_id);
  BIND_INT(":after", filter->after_id);
  BIND_INT(":input", filter->input_version_id);
  BIND_INT(":limit", filter->limit);
#undef BIND_TEXT
#undef BIND_INT
  aero_status status = AERO_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    aero_run_info run;
    tl_run_info_from(st, 0, &run);
    status = each(ctx, &run, err);
    if (status != AERO_OK)
      break;
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "listing runs", err);
  sqlite3_finalize(st);
  return status;
}
