/* tracker-local: everything recorded about one run (query_run), streamed
 * part by part to the host's sink inside one read transaction, so the
 * parts agree with each other while hosts keep writing. */
#include "local.h"

#include <stdio.h>
#include <string.h>

/* The facts kept as columns of the run's invocation, in the order they
 * are reported; the rest come from run_env. */
static const char run_facts_sql[] =
    "SELECT i.git_commit, i.git_branch, i.git_message, i.git_remote, "
    "i.image_id, i.packages, i.plugin_path, i.plugin_sha256, i.host_version, "
    "i.abi_version, i.hostname, i.command_line, i.passthrough_env FROM "
    "run_records r JOIN invocations i ON i.id = r.invocation_id WHERE r.id = "
    "?";
static const char *const fact_names[] = {
    "git_commit",      "git_branch",  "git_message", "git_remote",
    "image_id",        "packages",    "plugin_path", "plugin_sha256",
    "host_version",    "abi_version", "hostname",    "command_line",
    "passthrough_env",
};

typedef struct part {
  tl_store *store;
  int64_t run_id;
  const aero_run_sink *sink;
  void *ctx;
  aero_error *err;
} part;

/* Runs `sql` (one parameter: the run id) and hands each row to `row`.
 * Stops at the first status that is not AERO_OK. */
static aero_status each_row(part *p, const char *sql, const char *what,
                            aero_status (*row)(part *, sqlite3_stmt *)) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(p->store, sql, &st, p->err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, p->run_id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    status = row(p, st);
    if (status != AERO_OK)
      break;
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(p->store, rc, what, p->err);
  tl_finish(p->store, st);
  return status;
}

static const char *text(sqlite3_stmt *st, int i) {
  return (const char *)sqlite3_column_text(st, i);
}

static aero_status run_row(part *p, sqlite3_stmt *st) {
  aero_run_info run;
  tl_run_info_from(st, 0, &run);
  return p->sink->run != NULL ? p->sink->run(p->ctx, &run, p->err) : AERO_OK;
}

static aero_status facts_row(part *p, sqlite3_stmt *st) {
  for (int i = 0; i < (int)(sizeof fact_names / sizeof *fact_names); i++) {
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
      continue;
    aero_status status =
        p->sink->environment(p->ctx, fact_names[i], text(st, i), p->err);
    if (status != AERO_OK)
      return status;
  }
  return AERO_OK;
}

static aero_status env_row(part *p, sqlite3_stmt *st) {
  return p->sink->environment(p->ctx, text(st, 0), text(st, 1), p->err);
}

static aero_status config_row(part *p, sqlite3_stmt *st) {
  aero_kv kv;
  tl_kv_from(st, 0, &kv);
  return p->sink->config(p->ctx, &kv, p->err);
}

static aero_status tag_row(part *p, sqlite3_stmt *st) {
  return p->sink->tag(p->ctx, text(st, 0), p->err);
}

static aero_status input_row(part *p, sqlite3_stmt *st) {
  aero_version_info v;
  tl_version_info_from(st, 0, &v);
  return p->sink->input(p->ctx, &v, p->err);
}

static aero_status output_row(part *p, sqlite3_stmt *st) {
  aero_version_info v;
  tl_version_info_from(st, 0, &v);
  return p->sink->output(p->ctx, &v, p->err);
}

static aero_status log_row(part *p, sqlite3_stmt *st) {
  aero_log_line line = {.struct_size = sizeof line,
                        .level = tl_level_from_name(text(st, 0)),
                        .message = text(st, 1),
                        .logged_ns = sqlite3_column_int64(st, 2)};
  return p->sink->log_line(p->ctx, &line, p->err);
}

/* Metric summaries, as kept when the points were recorded
 * (metric_summary.c). */
static aero_status summaries(part *p) {
  return tl_summary_each(p->store, p->run_id, p->sink->metric_summary, p->ctx,
                         p->err);
}

aero_status tl_query_run(void *handle, int64_t run_id,
                         const aero_run_sink *sink, void *ctx,
                         aero_error *err) {
  tl_store *store = handle;
  if (sink == NULL || sink->struct_size < sizeof(uint32_t))
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-local: query_run needs a sink");
  /* Members past the host's struct_size are absent (an older host). */
  aero_run_sink s = {0};
  memcpy(&s, sink, sink->struct_size < sizeof s ? sink->struct_size : sizeof s);
  part p = {store, run_id, &s, ctx, err};
  aero_status status = tl_read_begin(store, err);
  if (status != AERO_OK)
    return status;
  bool found = false;
  {
    sqlite3_stmt *st = NULL;
    status =
        tl_prepare(store, "SELECT 1 FROM run_records WHERE id = ?", &st, err);
    if (status == AERO_OK) {
      sqlite3_bind_int64(st, 1, run_id);
      int rc = sqlite3_step(st);
      found = rc == SQLITE_ROW;
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        status = tl_db_fail(store, rc, "looking up a run", err);
      tl_finish(store, st);
    }
  }
  if (status == AERO_OK && !found)
    status = aero_fail(err, AERO_E_NOT_FOUND, "no run %lld in %s",
                       (long long)run_id, store->root);
  if (status == AERO_OK && s.run != NULL)
    status = each_row(
        &p, "SELECT " TL_RUN_COLUMNS " FROM " TL_RUN_TABLES " WHERE r.id = ?",
        "reading a run", run_row);
  if (status == AERO_OK && s.environment != NULL)
    status = each_row(&p, run_facts_sql, "reading a run's facts", facts_row);
  if (status == AERO_OK && s.environment != NULL)
    /* "owner" is this backend's own bookkeeping (owners.c). */
    status = each_row(&p,
                      "SELECT key, value FROM run_env WHERE run_id = ? AND "
                      "key <> 'owner' AND value IS NOT NULL ORDER BY key",
                      "reading a run's environment", env_row);
  if (status == AERO_OK && s.config != NULL)
    status = each_row(&p,
                      "SELECT key, type, value FROM run_config WHERE run_id = "
                      "? ORDER BY key",
                      "reading a run's config", config_row);
  if (status == AERO_OK && s.tag != NULL)
    status =
        each_row(&p, "SELECT tag FROM run_tags WHERE run_id = ? ORDER BY tag",
                 "reading a run's tags", tag_row);
  if (status == AERO_OK && s.input != NULL)
    status = each_row(&p,
                      "SELECT " TL_VERSION_COLUMNS
                      " FROM run_inputs i JOIN versions v ON v.id = "
                      "i.version_id JOIN artifacts a ON a.id = v.artifact_id "
                      "WHERE i.run_id = ? AND v.published = 1 "
                      "ORDER BY a.entity, a.project, a.name, v.version",
                      "reading a run's inputs", input_row);
  if (status == AERO_OK && s.output != NULL)
    status = each_row(&p,
                      "SELECT " TL_VERSION_COLUMNS
                      " FROM run_outputs o JOIN versions v ON v.id = "
                      "o.version_id JOIN artifacts a ON a.id = v.artifact_id "
                      "WHERE o.run_id = ? AND v.published = 1 "
                      "ORDER BY a.entity, a.project, a.name, v.version",
                      "reading a run's outputs", output_row);
  if (status == AERO_OK && s.log_line != NULL)
    status = each_row(&p,
                      "SELECT level, message, logged_at FROM run_logs WHERE "
                      "run_id = ? ORDER BY id",
                      "reading a run's log", log_row);
  if (status == AERO_OK && s.metric_summary != NULL)
    status = summaries(&p);
  tl_read_end(store);
  return status;
}
