/* tracker-postgres: reading the record back (the query members, ABI 1.2),
 * so that `aeromancy runs/show/metrics/...` and the web page work on a
 * team store unchanged.
 *
 * Every query is one REPEATABLE READ transaction (one snapshot, like
 * tracker-local's read transaction) that reads through a cursor in
 * batches of FETCH_ROWS: a run with millions of metric points never sits
 * in memory. A query whose connection is lost is retried only while it
 * has handed nothing to the host; after that it fails, so that no row is
 * delivered twice.
 */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FETCH_ROWS 2000

#define RUN_COLUMNS                                                            \
  "r.id, r.status, r.entity, r.project, r.job_type, r.job_group, r.outputs, "  \
  "r.mode, r.exit_code, r.signal, r.message, r.started_at, r.ended_at, "       \
  "r.git_commit, r.git_branch, r.reused_run"
#define VERSION_COLUMNS                                                        \
  "v.id, a.entity, a.project, a.name, v.version, v.mode, v.digest, v.type, "   \
  "v.run_id, v.created_at, "                                                   \
  "(SELECT count(*) FROM version_files f WHERE f.version_id = v.id), "         \
  "(SELECT coalesce(sum(size), 0) FROM version_files f "                       \
  "WHERE f.version_id = v.id)"

/* A column's text, or NULL for SQL NULL. */
static const char *col(const PGresult *res, int row, int i) {
  return PQgetisnull(res, row, i) ? NULL : PQgetvalue(res, row, i);
}

static int64_t col_int(const PGresult *res, int row, int i, int64_t null) {
  return PQgetisnull(res, row, i) ? null
                                  : strtoll(PQgetvalue(res, row, i), NULL, 10);
}

static uint32_t state_from_name(const char *name) {
  for (uint32_t s = AERO_RUN_RUNNING; name != NULL && s <= 16; s++)
    if (pc_state_name(s) != NULL && strcmp(pc_state_name(s), name) == 0)
      return s;
  return 0;
}

static uint32_t level_from_name(const char *name) {
  for (uint32_t l = AERO_LOG_ERROR; name != NULL && l <= 8; l++)
    if (pc_level_name((aero_log_level)l) != NULL &&
        strcmp(pc_level_name((aero_log_level)l), name) == 0)
      return l;
  return 0;
}

static void run_info(const PGresult *res, int row, aero_run_info *out) {
  const char *mode = col(res, row, 7);
  *out = (aero_run_info){
      .struct_size = sizeof *out,
      .id = col_int(res, row, 0, 0),
      .state = state_from_name(col(res, row, 1)),
      .entity = col(res, row, 2),
      .project = col(res, row, 3),
      .job_type = col(res, row, 4),
      .job_group = col(res, row, 5),
      .outputs = col(res, row, 6),
      .dev = mode != NULL && strcmp(mode, "dev") == 0,
      .exit_code = (int32_t)col_int(res, row, 8, -1),
      .signal = (int32_t)col_int(res, row, 9, 0),
      .message = col(res, row, 10),
      .started_ns = col_int(res, row, 11, 0),
      .ended_ns = col_int(res, row, 12, 0),
      .git_commit = col(res, row, 13),
      .git_branch = col(res, row, 14),
      .reused_run = col_int(res, row, 15, 0),
  };
}

static void version_info(const PGresult *res, int row, aero_version_info *out) {
  const char *mode = col(res, row, 5);
  *out = (aero_version_info){
      .struct_size = sizeof *out,
      .id = col_int(res, row, 0, 0),
      .entity = col(res, row, 1),
      .project = col(res, row, 2),
      .name = col(res, row, 3),
      .version = col_int(res, row, 4, 0),
      .dev = mode != NULL && strcmp(mode, "dev") == 0,
      .digest = col(res, row, 6),
      .type = col(res, row, 7),
      .run_id = col_int(res, row, 8, 0),
      .created_ns = col_int(res, row, 9, 0),
      .file_count = col_int(res, row, 10, 0),
      .total_size = col_int(res, row, 11, 0),
  };
}

/* One streamed query: its rows go to `row` a batch at a time. */
typedef struct stream {
  const char *sql;
  const tp_params *params;
  const char *what;
  aero_status (*row)(void *ctx, const PGresult *res, int i, aero_error *err);
  void *ctx;
  bool *delivered; /* set once anything reached the host */
} stream;

static aero_status run_stream(tp_store *store, const stream *s,
                              aero_error *err) {
  char *declare =
      pc_strdup_printf("DECLARE aero_q NO SCROLL CURSOR FOR %s", s->sql);
  if (declare == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  aero_status status = tp_exec(store, declare, s->params, NULL, s->what, err);
  free(declare);
  if (status != AERO_OK)
    return status;
  for (;;) {
    PGresult *res = NULL;
    status = tp_exec(store, "FETCH 2000 FROM aero_q", NULL, &res, s->what, err);
    if (status != AERO_OK)
      break;
    int n = PQntuples(res);
    for (int i = 0; status == AERO_OK && i < n; i++) {
      *s->delivered = true;
      status = s->row(s->ctx, res, i, err);
    }
    PQclear(res);
    if (status != AERO_OK || n < FETCH_ROWS)
      break;
  }
  if (status == AERO_OK)
    status = tp_exec(store, "CLOSE aero_q", NULL, NULL, s->what, err);
  return status;
}

/* A query body and what it needs, run in one snapshot by `query`. */
typedef struct query_ctx {
  aero_status (*body)(tp_store *store, struct query_ctx *q, aero_error *err);
  void *arg;
  bool delivered;
} query_ctx;

static aero_status query_body(tp_store *store, void *ctx_, aero_error *err) {
  query_ctx *q = ctx_;
  aero_status status =
      tp_exec(store,
              "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ "
              "ONLY",
              NULL, NULL, "starting a read", err);
  if (status == AERO_OK)
    status = q->body(store, q, err);
  /* Rows already handed over, or the host said stop: never again. */
  if (status != AERO_OK && (q->delivered || !store->last_retryable))
    store->last_retryable = false;
  return status;
}

static aero_status query(tp_store *store, query_ctx *q, const char *what,
                         aero_error *err) {
  pthread_mutex_lock(&store->lock);
  aero_status status = tp_txn(store, query_body, q, what, err);
  pthread_mutex_unlock(&store->lock);
  return status;
}

/* ---- query_runs ---- */

typedef struct runs_arg {
  const aero_run_filter *filter;
  aero_status (*each)(void *, const aero_run_info *, aero_error *);
  void *ctx;
} runs_arg;

static aero_status run_row(void *ctx, const PGresult *res, int i,
                           aero_error *err) {
  runs_arg *a = ctx;
  aero_run_info run;
  run_info(res, i, &run);
  return a->each(a->ctx, &run, err);
}

/* Appends " AND <clause>", its "$#" replaced by $N for parameter N, the
 * one added now. */
static void clause_with(char *sql, size_t size, int n, const char *clause) {
  const char *mark = strstr(clause, "$#");
  size_t len = strlen(sql);
  if (mark == NULL)
    return;
  snprintf(sql + len, size - len, " AND %.*s$%d%s", (int)(mark - clause),
           clause, n, mark + 2);
}

static void where(char *sql, size_t size, tp_params *p, const char *clause,
                  const char *value) {
  tp_param_text(p, value);
  clause_with(sql, size, p->count, clause);
}

static void where_int(char *sql, size_t size, tp_params *p, const char *clause,
                      int64_t value) {
  tp_param_int(p, value);
  clause_with(sql, size, p->count, clause);
}

static aero_status runs_body(tp_store *store, query_ctx *q, aero_error *err) {
  runs_arg *a = q->arg;
  const aero_run_filter *f = a->filter;
  char sql[2048] = "SELECT " RUN_COLUMNS " FROM runs r WHERE true";
  tp_params p = {0};
  if (f->project != NULL)
    where(sql, sizeof sql, &p, "r.project = $#", f->project);
  if (f->job_type != NULL)
    where(sql, sizeof sql, &p, "r.job_type = $#", f->job_type);
  if (f->state != 0)
    where(sql, sizeof sql, &p, "r.status = $#", pc_state_name(f->state));
  if (f->tag != NULL)
    where(sql, sizeof sql, &p,
          "EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.tag "
          "= $#)",
          f->tag);
  if (f->branch != NULL)
    where(sql, sizeof sql, &p, "r.git_branch = $#", f->branch);
  if (f->mode == AERO_MODE_DEV || f->mode == AERO_MODE_PROD)
    where(sql, sizeof sql, &p, "r.mode = $#",
          f->mode == AERO_MODE_DEV ? "dev" : "prod");
  if (f->since_ns != 0)
    where_int(sql, sizeof sql, &p, "r.started_at >= $#", f->since_ns);
  if (f->before_id != 0)
    where_int(sql, sizeof sql, &p, "r.id < $#", f->before_id);
  if (f->after_id != 0)
    where_int(sql, sizeof sql, &p, "r.id > $#", f->after_id);
  if (f->input_version_id != 0)
    where_int(sql, sizeof sql, &p,
              "r.id IN (SELECT i.run_id FROM run_inputs i WHERE i.version_id "
              "= $#)",
              f->input_version_id);
  size_t len = strlen(sql);
  snprintf(sql + len, sizeof sql - len, " ORDER BY r.id %s",
           f->oldest_first ? "ASC" : "DESC");
  if (f->limit != 0) {
    len = strlen(sql);
    snprintf(sql + len, sizeof sql - len, " LIMIT %u", f->limit);
  }
  stream s = {.sql = sql,
              .params = &p,
              .what = "listing runs",
              .row = run_row,
              .ctx = a,
              .delivered = &q->delivered};
  return run_stream(store, &s, err);
}

aero_status tp_query_runs(void *handle, const aero_run_filter *filter,
                          aero_status (*each)(void *, const aero_run_info *,
                                              aero_error *),
                          void *ctx, aero_error *err) {
  if (filter == NULL || each == NULL ||
      filter->struct_size < offsetof(aero_run_filter, oldest_first) + 1)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: query_runs "
                     "needs a filter and a callback");
  if (filter->state != 0 && pc_state_name(filter->state) == NULL)
    return aero_fail(err, AERO_E_INVALID, "tracker-postgres: no run state %u",
                     filter->state);
  runs_arg a = {filter, each, ctx};
  query_ctx q = {.body = runs_body, .arg = &a};
  return query(handle, &q, "listing runs", err);
}

/* ---- query_run ---- */

typedef struct run_arg {
  int64_t run_id;
  aero_run_sink sink;
  void *ctx;
} run_arg;

static aero_status one_run_row(void *ctx, const PGresult *res, int i,
                               aero_error *err) {
  run_arg *a = ctx;
  aero_run_info run;
  run_info(res, i, &run);
  return a->sink.run(a->ctx, &run, err);
}

static aero_status env_row(void *ctx, const PGresult *res, int i,
                           aero_error *err) {
  run_arg *a = ctx;
  return a->sink.environment(a->ctx, col(res, i, 0), col(res, i, 1), err);
}

/* Columns key, type, value (text) from `first` of row `i` (run_config,
 * version_metadata) as an aero_kv whose strings are `res`'s. */
static void kv_from(const PGresult *res, int i, int first, aero_kv *kv) {
  *kv = (aero_kv){.key = col(res, i, first)};
  const char *type = col(res, i, first + 1);
  const char *text =
      col(res, i, first + 2) != NULL ? col(res, i, first + 2) : "";
  if (strcmp(type, "bool") == 0) {
    kv->value.type = AERO_VALUE_BOOL;
    kv->value.as.b = strcmp(text, "0") != 0 && strcmp(text, "false") != 0;
  } else if (strcmp(type, "int") == 0) {
    kv->value.type = AERO_VALUE_INT;
    kv->value.as.i = strtoll(text, NULL, 10);
  } else if (strcmp(type, "double") == 0) {
    kv->value.type = AERO_VALUE_DOUBLE;
    kv->value.as.d = strtod(text, NULL);
  } else {
    kv->value.type = AERO_VALUE_STRING;
    kv->value.as.s = text;
  }
}

static aero_status config_row(void *ctx, const PGresult *res, int i,
                              aero_error *err) {
  run_arg *a = ctx;
  aero_kv kv;
  kv_from(res, i, 0, &kv);
  return a->sink.config(a->ctx, &kv, err);
}

static aero_status tag_row(void *ctx, const PGresult *res, int i,
                           aero_error *err) {
  run_arg *a = ctx;
  return a->sink.tag(a->ctx, col(res, i, 0), err);
}

static aero_status input_row(void *ctx, const PGresult *res, int i,
                             aero_error *err) {
  run_arg *a = ctx;
  aero_version_info v;
  version_info(res, i, &v);
  return a->sink.input(a->ctx, &v, err);
}

static aero_status output_row(void *ctx, const PGresult *res, int i,
                              aero_error *err) {
  run_arg *a = ctx;
  aero_version_info v;
  version_info(res, i, &v);
  return a->sink.output(a->ctx, &v, err);
}

static aero_status log_row(void *ctx, const PGresult *res, int i,
                           aero_error *err) {
  run_arg *a = ctx;
  aero_log_line line = {.struct_size = sizeof line,
                        .level = level_from_name(col(res, i, 0)),
                        .message = col(res, i, 1),
                        .logged_ns = col_int(res, i, 2, 0)};
  return a->sink.log_line(a->ctx, &line, err);
}

static aero_status summary_row(void *ctx, const PGresult *res, int i,
                               aero_error *err) {
  run_arg *a = ctx;
  aero_metric_summary m = {.struct_size = sizeof m,
                           .key = col(res, i, 0),
                           .count = col_int(res, i, 1, 0),
                           .last = strtod(col(res, i, 2), NULL),
                           .min = strtod(col(res, i, 3), NULL),
                           .max = strtod(col(res, i, 4), NULL),
                           .last_step = col_int(res, i, 5, AERO_NO_STEP)};
  return a->sink.metric_summary(a->ctx, &m, err);
}

static aero_status
part(tp_store *store, query_ctx *q, const char *sql, const char *what,
     aero_status (*row)(void *, const PGresult *, int, aero_error *),
     aero_error *err) {
  run_arg *a = q->arg;
  tp_params p = {0};
  tp_param_int(&p, a->run_id);
  stream s = {.sql = sql,
              .params = &p,
              .what = what,
              .row = row,
              .ctx = a,
              .delivered = &q->delivered};
  return run_stream(store, &s, err);
}

static aero_status run_body(tp_store *store, query_ctx *q, aero_error *err) {
  run_arg *a = q->arg;
  tp_params p = {0};
  tp_param_int(&p, a->run_id);
  PGresult *res = NULL;
  aero_status status = tp_exec(store, "SELECT 1 FROM runs WHERE id = $1", &p,
                               &res, "looking up a run", err);
  if (status != AERO_OK)
    return status;
  bool found = PQntuples(res) > 0;
  PQclear(res);
  if (!found)
    return aero_fail(err, AERO_E_NOT_FOUND, "no run %lld in %s",
                     (long long)a->run_id, store->server);
  const aero_run_sink *k = &a->sink;
  if (k->run != NULL)
    status =
        part(store, q, "SELECT " RUN_COLUMNS " FROM runs r WHERE r.id = $1",
             "reading a run", one_run_row, err);
  /* The facts kept as columns, then the others, as key/value rows. */
  if (status == AERO_OK && k->environment != NULL)
    status = part(
        store, q,
        "SELECT u.k, u.v FROM runs r, unnest(ARRAY['git_commit', "
        "'git_branch', 'git_message', 'git_remote', 'image_id', 'packages', "
        "'plugin_path', 'plugin_sha256', 'host_version', 'abi_version', "
        "'hostname', 'command_line', 'passthrough_env'], ARRAY[r.git_commit, "
        "r.git_branch, r.git_message, r.git_remote, r.image_id, r.packages, "
        "r.plugin_path, r.plugin_sha256, r.host_version, r.abi_version, "
        "r.hostname, r.command_line, r.passthrough_env]) WITH ORDINALITY AS "
        "u(k, v, n) WHERE r.id = $1 AND u.v IS NOT NULL ORDER BY u.n",
        "reading a run's facts", env_row, err);
  if (status == AERO_OK && k->environment != NULL)
    status = part(store, q,
                  "SELECT key, value FROM run_env WHERE run_id = $1 AND value "
                  "IS NOT NULL ORDER BY key COLLATE \"C\"",
                  "reading a run's environment", env_row, err);
  if (status == AERO_OK && k->config != NULL)
    status = part(store, q,
                  "SELECT key, type, value FROM run_config WHERE run_id = $1 "
                  "ORDER BY key COLLATE \"C\"",
                  "reading a run's config", config_row, err);
  if (status == AERO_OK && k->tag != NULL)
    status = part(store, q,
                  "SELECT tag FROM run_tags WHERE run_id = $1 ORDER BY tag "
                  "COLLATE \"C\"",
                  "reading a run's tags", tag_row, err);
  if (status == AERO_OK && k->input != NULL)
    status = part(store, q,
                  "SELECT " VERSION_COLUMNS
                  " FROM run_inputs i JOIN versions v ON v.id = i.version_id "
                  "JOIN artifacts a ON a.id = v.artifact_id WHERE i.run_id = "
                  "$1 AND v.published = 1 ORDER BY a.entity COLLATE \"C\", "
                  "a.project COLLATE \"C\", a.name COLLATE \"C\", v.version",
                  "reading a run's inputs", input_row, err);
  if (status == AERO_OK && k->output != NULL)
    status = part(store, q,
                  "SELECT " VERSION_COLUMNS
                  " FROM run_outputs o JOIN versions v ON v.id = o.version_id "
                  "JOIN artifacts a ON a.id = v.artifact_id WHERE o.run_id = "
                  "$1 AND v.published = 1 ORDER BY a.entity COLLATE \"C\", "
                  "a.project COLLATE \"C\", a.name COLLATE \"C\", v.version",
                  "reading a run's outputs", output_row, err);
  if (status == AERO_OK && k->log_line != NULL)
    status = part(store, q,
                  "SELECT level, message, logged_at FROM run_logs WHERE "
                  "run_id = $1 ORDER BY id",
                  "reading a run's log", log_row, err);
  /* "Last" is the point with the highest step, the latest logged among
   * equal steps (NULL steps sort first, so they count in logged order). */
  if (status == AERO_OK && k->metric_summary != NULL)
    status = part(
        store, q,
        "SELECT key, count(*), (array_agg(value ORDER BY step NULLS FIRST, "
        "id))[count(*)], min(value), max(value), (array_agg(step ORDER BY "
        "step NULLS FIRST, id))[count(*)] FROM metrics WHERE run_id = $1 "
        "GROUP BY key ORDER BY key COLLATE \"C\"",
        "summarising metrics", summary_row, err);
  return status;
}

aero_status tp_query_run(void *handle, int64_t run_id,
                         const aero_run_sink *sink, void *ctx,
                         aero_error *err) {
  if (sink == NULL || sink->struct_size < sizeof(uint32_t))
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: query_run needs a sink");
  run_arg a = {.run_id = run_id, .ctx = ctx};
  memcpy(&a.sink, sink,
         sink->struct_size < sizeof a.sink ? sink->struct_size : sizeof a.sink);
  query_ctx q = {.body = run_body, .arg = &a};
  return query(handle, &q, "reading a run", err);
}

/* ---- query_metrics ---- */

typedef struct metrics_arg {
  const aero_metric_query *query;
  aero_metric_rows_fn each;
  void *ctx;
} metrics_arg;

static aero_status metrics_body(tp_store *store, query_ctx *q,
                                aero_error *err) {
  metrics_arg *a = q->arg;
  tp_params p = {0};
  tp_param_int(&p, a->query->run_id);
  char *keys = NULL;
  size_t len = 0, cap = 0;
  bool filtered = a->query->keys != NULL && a->query->key_count > 0;
  for (size_t i = 0; filtered && i < a->query->key_count; i++)
    if (!tp_array_add(&keys, &len, &cap, a->query->keys[i]))
      filtered = false;
  if (filtered && !tp_array_end(&keys, &len, &cap))
    filtered = false;
  if (a->query->keys != NULL && a->query->key_count > 0 && !filtered) {
    free(keys);
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  }
  if (filtered)
    tp_param_text(&p, keys);
  char declare[512];
  snprintf(declare, sizeof declare,
           "DECLARE aero_q NO SCROLL CURSOR FOR SELECT key, value, step, "
           "logged_at FROM metrics WHERE run_id = $1%s ORDER BY key COLLATE "
           "\"C\", step NULLS FIRST, id",
           filtered ? " AND key = ANY($2::text[])" : "");
  aero_status status =
      tp_exec(store, declare, &p, NULL, "reading metrics", err);
  free(keys);
  aero_metric_row *rows = calloc(FETCH_ROWS, sizeof *rows);
  if (status == AERO_OK && rows == NULL)
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  while (status == AERO_OK) {
    PGresult *res = NULL;
    status = tp_exec(store, "FETCH 2000 FROM aero_q", NULL, &res,
                     "reading metrics", err);
    if (status != AERO_OK)
      break;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++)
      rows[i] = (aero_metric_row){.key = col(res, i, 0),
                                  .value = strtod(col(res, i, 1), NULL),
                                  .step = col_int(res, i, 2, AERO_NO_STEP),
                                  .logged_ns = col_int(res, i, 3, 0)};
    if (n > 0) {
      q->delivered = true;
      status = a->each(a->ctx, rows, (size_t)n, err);
    }
    PQclear(res);
    if (n < FETCH_ROWS)
      break;
  }
  free(rows);
  return status;
}

aero_status tp_query_metrics(void *handle, const aero_metric_query *query_in,
                             aero_metric_rows_fn each, void *ctx,
                             aero_error *err) {
  if (query_in == NULL || each == NULL)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: query_metrics "
                     "needs a query and a callback");
  aero_metric_query mq = {0};
  memcpy(&mq, query_in,
         query_in->struct_size < sizeof mq ? query_in->struct_size : sizeof mq);
  metrics_arg a = {&mq, each, ctx};
  query_ctx q = {.body = metrics_body, .arg = &a};
  return query(handle, &q, "reading metrics", err);
}

/* ---- query_versions, query_files ---- */

typedef struct versions_arg {
  const aero_version_filter *filter;
  aero_status (*each)(void *, const aero_version_info *, aero_error *);
  void *ctx;
} versions_arg;

static aero_status version_row(void *ctx, const PGresult *res, int i,
                               aero_error *err) {
  versions_arg *a = ctx;
  aero_version_info v;
  version_info(res, i, &v);
  return a->each(a->ctx, &v, err);
}

static aero_status versions_body(tp_store *store, query_ctx *q,
                                 aero_error *err) {
  versions_arg *a = q->arg;
  const aero_version_filter *f = a->filter;
  char sql[2048] = "SELECT " VERSION_COLUMNS
                   " FROM versions v JOIN artifacts a ON a.id = v.artifact_id"
                   " WHERE v.published = 1";
  tp_params p = {0};
  if (f->entity != NULL)
    where(sql, sizeof sql, &p, "a.entity = $#", f->entity);
  if (f->project != NULL)
    where(sql, sizeof sql, &p, "a.project = $#", f->project);
  if (f->name != NULL)
    where(sql, sizeof sql, &p, "a.name = $#", f->name);
  if (f->mode == AERO_MODE_DEV || f->mode == AERO_MODE_PROD)
    where(sql, sizeof sql, &p, "v.mode = $#",
          f->mode == AERO_MODE_DEV ? "dev" : "prod");
  if (f->version >= 0)
    where_int(sql, sizeof sql, &p, "v.version = $#", f->version);
  if (f->run_id != 0)
    where_int(sql, sizeof sql, &p,
              "v.id IN (SELECT o.version_id FROM run_outputs o WHERE o.run_id "
              "= $#)",
              f->run_id);
  if (f->version_id != 0)
    where_int(sql, sizeof sql, &p, "v.id = $#", f->version_id);
  size_t len = strlen(sql);
  snprintf(sql + len, sizeof sql - len,
           " ORDER BY a.entity COLLATE \"C\", a.project COLLATE \"C\", "
           "a.name COLLATE \"C\", v.version");
  stream s = {.sql = sql,
              .params = &p,
              .what = "listing versions",
              .row = version_row,
              .ctx = a,
              .delivered = &q->delivered};
  return run_stream(store, &s, err);
}

aero_status tp_query_versions(void *handle, const aero_version_filter *filter,
                              aero_status (*each)(void *,
                                                  const aero_version_info *,
                                                  aero_error *),
                              void *ctx, aero_error *err) {
  if (filter == NULL || each == NULL || filter->struct_size == 0)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: query_versions "
                     "needs a filter and a callback");
  aero_version_filter f = {.version = -1};
  memcpy(&f, filter,
         filter->struct_size < sizeof f ? filter->struct_size : sizeof f);
  versions_arg a = {&f, each, ctx};
  query_ctx q = {.body = versions_body, .arg = &a};
  return query(handle, &q, "listing versions", err);
}

typedef struct files_arg {
  int64_t version_id;
  aero_status (*each)(void *, const aero_file_info *, aero_error *);
  void *ctx;
} files_arg;

static aero_status file_row(void *ctx, const PGresult *res, int i,
                            aero_error *err) {
  files_arg *a = ctx;
  aero_file_info file = {.struct_size = sizeof file,
                         .path = col(res, i, 0),
                         .sha256 = col(res, i, 1),
                         .size = col_int(res, i, 2, 0)};
  return a->each(a->ctx, &file, err);
}

static aero_status files_body(tp_store *store, query_ctx *q, aero_error *err) {
  files_arg *a = q->arg;
  tp_params p = {0};
  tp_param_int(&p, a->version_id);
  stream s = {.sql = "SELECT path, sha256, size FROM version_files WHERE "
                     "version_id = $1 ORDER BY path COLLATE \"C\"",
              .params = &p,
              .what = "listing a version's files",
              .row = file_row,
              .ctx = a,
              .delivered = &q->delivered};
  return run_stream(store, &s, err);
}

aero_status tp_query_files(void *handle, int64_t version_id,
                           aero_status (*each)(void *, const aero_file_info *,
                                               aero_error *),
                           void *ctx, aero_error *err) {
  if (each == NULL)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: query_files needs a callback");
  files_arg a = {version_id, each, ctx};
  query_ctx q = {.body = files_body, .arg = &a};
  return query(handle, &q, "listing a version's files", err);
}

/* ---- query_metadata ---- */

typedef struct metadata_arg {
  int64_t version_id;
  aero_status (*each)(void *, const aero_kv *, aero_error *);
  void *ctx;
} metadata_arg;

static aero_status metadata_row(void *ctx, const PGresult *res, int i,
                                aero_error *err) {
  metadata_arg *a = ctx;
  aero_kv kv;
  kv_from(res, i, 0, &kv);
  return a->each(a->ctx, &kv, err);
}

static aero_status metadata_body(tp_store *store, query_ctx *q,
                                 aero_error *err) {
  metadata_arg *a = q->arg;
  tp_params p = {0};
  tp_param_int(&p, a->version_id);
  stream s = {.sql = "SELECT key, type, value FROM version_metadata WHERE "
                     "version_id = $1 ORDER BY key COLLATE \"C\"",
              .params = &p,
              .what = "reading a version's metadata",
              .row = metadata_row,
              .ctx = a,
              .delivered = &q->delivered};
  return run_stream(store, &s, err);
}

aero_status tp_query_metadata(void *handle, int64_t version_id,
                              aero_status (*each)(void *, const aero_kv *,
                                                  aero_error *),
                              void *ctx, aero_error *err) {
  if (each == NULL)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: query_metadata needs a callback");
  metadata_arg a = {version_id, each, ctx};
  query_ctx q = {.body = metadata_body, .arg = &a};
  return query(handle, &q, "reading a version's metadata", err);
}
