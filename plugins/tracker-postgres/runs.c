/* tracker-postgres: recording runs, their config, tags, environment,
 * metrics and text logs. Each call is one round trip: a run with its
 * config, tags and environment is one statement (arrays unnested by the
 * server), and so is a batch of metrics. */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void array_add(pg_array *a, const char *text) {
  if (!a->failed && !tp_array_add(&a->buf, &a->len, &a->cap, text))
    a->failed = true;
}

static const char *array_text(pg_array *a) {
  if (!a->failed && !tp_array_end(&a->buf, &a->len, &a->cap))
    a->failed = true;
  return a->failed ? NULL : a->buf;
}

const char *tp_value_text(const aero_value *v, char *buf, size_t size,
                          const char **type) {
  switch (v->type) {
  case AERO_VALUE_BOOL:
    *type = "bool";
    return v->as.b ? "1" : "0";
  case AERO_VALUE_INT:
    *type = "int";
    snprintf(buf, size, "%lld", (long long)v->as.i);
    return buf;
  case AERO_VALUE_DOUBLE:
    *type = "double";
    /* The shortest text that reads back as the same double: 0.02, not
     * 0.020000000000000000416. */
    for (int digits = 15; digits <= 17; digits++) {
      snprintf(buf, size, "%.*g", digits, v->as.d);
      if (strtod(buf, NULL) == v->as.d)
        break;
    }
    return buf;
  case AERO_VALUE_STRING:
    *type = "string";
    return v->as.s;
  default:
    *type = NULL;
    return NULL;
  }
}

static const char RUN_INSERT_SQL[] =
    "WITH r AS (INSERT INTO runs (entity, project, job_type, job_group, "
    "outputs, mode, status, started_at, git_commit, git_branch, "
    "git_message, git_remote, image_id, packages, plugin_path, "
    "plugin_sha256, host_version, abi_version, hostname, command_line, "
    "passthrough_env, lease, client_key, reused_run, ended_at) VALUES ($1, "
    "$2, $3, $4, $5, $6, $33, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
    "$16, $17, $18, $19, $20, $21, $22, $34::bigint, CASE WHEN $34::bigint "
    "IS NULL THEN NULL ELSE $7::bigint END) ON CONFLICT (client_key) DO "
    "UPDATE SET "
    "client_key = excluded.client_key RETURNING id),"
    " c AS (INSERT INTO run_config (run_id, key, type, value) SELECT r.id, "
    "u.k, u.t, u.v FROM r, unnest($23::text[], $24::text[], $25::text[]) "
    "AS u(k, t, v) ON CONFLICT DO NOTHING),"
    " t AS (INSERT INTO run_tags (run_id, tag) SELECT r.id, u.t FROM r, "
    "unnest($26::text[]) AS u(t) ON CONFLICT DO NOTHING),"
    " e AS (INSERT INTO run_env (run_id, key, value) SELECT r.id, u.k, u.v "
    "FROM r, unnest($27::text[], $28::text[]) AS u(k, v) ON CONFLICT DO "
    "NOTHING),"
    /* ABI 1.5: its inputs and reuse key, in the same statement. */
    " i AS (INSERT INTO run_inputs (run_id, version_id) SELECT r.id, u.v "
    "FROM r, unnest($29::bigint[]) AS u(v) ON CONFLICT DO NOTHING),"
    " k AS (INSERT INTO run_keys (run_id, key, parts, job) SELECT r.id, "
    "$30, $32, $31 FROM r WHERE $30::text IS NOT NULL ON CONFLICT (run_id) "
    "DO UPDATE SET key = excluded.key, parts = excluded.parts, job = "
    "excluded.job)"
    " SELECT id FROM r";

aero_status tp_run_insert_exec(tp_store *store, tp_run_insert *ins,
                               aero_error *err) {
  _Static_assert(PC_ENV_COLUMN_COUNT == 13, "the INSERT lists 13 facts");
  _Static_assert(TP_MAX_PARAMS >= 34, "the INSERT takes 34 parameters");
  PGresult *res = NULL;
  aero_status status = tp_exec(store, RUN_INSERT_SQL, &ins->params, &res,
                               "recording a run", err);
  if (status == AERO_OK) {
    ins->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
  }
  return status;
}

void tp_run_as_reused(tp_run_insert *ins, int64_t reused_run) {
  tp_params *p = &ins->params;
  p->values[32] = "reused";
  snprintf(p->buf[33], sizeof p->buf[33], "%lld", (long long)reused_run);
  p->values[33] = p->buf[33];
}

aero_status tp_run_insert_many(tp_store *store, tp_run_insert *const *ins,
                               size_t n, aero_error *err) {
  tp_params **sets = calloc(n + 1, sizeof *sets);
  int64_t *ids = calloc(n + 1, sizeof *ids);
  aero_status status = AERO_OK;
  if (sets == NULL || ids == NULL)
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  for (size_t i = 0; status == AERO_OK && i < n; i++)
    sets[i] = &ins[i]->params;
  if (status == AERO_OK)
    status =
        tp_exec_ids(store, RUN_INSERT_SQL, sets, n, ids, "recording runs", err);
  for (size_t i = 0; status == AERO_OK && i < n; i++)
    ins[i]->id = ids[i];
  free(ids);
  free(sets);
  return status;
}

static aero_status insert_body(tp_store *store, void *ctx, aero_error *err) {
  return tp_run_insert_exec(store, ctx, err);
}

void tp_run_prepared_free(tp_run_insert *ins) {
  free(ins->outputs);
  free(ins->numbers);
  for (size_t i = 0; i < 7; i++)
    free(ins->arrays[i].buf);
  memset(ins, 0, sizeof *ins);
}

aero_status tp_run_prepare(tp_run_insert *ins, const aero_run_record *rec,
                           const char *lease, const char *client_key,
                           aero_error *err) {
  memset(ins, 0, sizeof *ins);
  ins->outputs = pc_join_outputs(rec);
  const char *env[PC_ENV_COLUMN_COUNT] = {0};
  pg_array *ck = &ins->arrays[0], *ct = &ins->arrays[1], *cv = &ins->arrays[2],
           *tags = &ins->arrays[3], *ek = &ins->arrays[4],
           *ev = &ins->arrays[5];
  ins->numbers = calloc(rec->config_count + rec->environment_count + 1, 32);
  aero_status status = AERO_OK;
  for (size_t i = 0; ins->numbers != NULL && i < rec->environment_count; i++) {
    const char *type;
    int column = pc_env_column(rec->environment[i].key);
    if (column >= 0) {
      env[column] = tp_value_text(&rec->environment[i].value,
                                  ins->env_numbers[column], 32, &type);
    } else {
      array_add(ek, rec->environment[i].key);
      array_add(ev,
                tp_value_text(&rec->environment[i].value,
                              ins->numbers[rec->config_count + i], 32, &type));
    }
  }
  for (size_t i = 0; ins->numbers != NULL && i < rec->config_count; i++) {
    const char *type = NULL;
    const char *text =
        tp_value_text(&rec->config[i].value, ins->numbers[i], 32, &type);
    if (type == NULL) {
      status =
          aero_fail(err, AERO_E_INVALID,
                    "tracker-postgres: config '%s' has unknown value "
                    "type %u",
                    rec->config[i].key, (unsigned)rec->config[i].value.type);
      break;
    }
    array_add(ck, rec->config[i].key);
    array_add(ct, type);
    array_add(cv, text);
  }
  for (size_t i = 0; i < rec->tag_count; i++)
    array_add(tags, rec->tags[i]);
  for (size_t i = 0; i < rec->input_count; i++) {
    char id[32]; /* copied into the array */
    snprintf(id, sizeof id, "%lld", (long long)rec->input_ids[i]);
    array_add(&ins->arrays[6], id);
  }
  tp_params *p = &ins->params;
  tp_param_text(p, rec->entity != NULL ? rec->entity : "");
  tp_param_text(p, rec->project);
  tp_param_text(p, rec->job_type);
  tp_param_text(p, rec->job_group);
  tp_param_text(p, ins->outputs);
  tp_param_text(p, rec->dev ? "dev" : "prod");
  tp_param_int(p, rec->started_ns != 0 ? rec->started_ns : tp_now_ns());
  for (size_t i = 0; i < PC_ENV_COLUMN_COUNT; i++)
    tp_param_text(p, env[i]);
  tp_param_text(p, lease);
  tp_param_text(p, client_key);
  bool failed = ins->outputs == NULL || ins->numbers == NULL;
  for (size_t i = 0; i < 7; i++) {
    tp_param_text(p, array_text(&ins->arrays[i]));
    failed = failed || ins->arrays[i].failed;
  }
  tp_param_text(p, rec->reuse_key);
  tp_param_text(p, rec->reuse_job);
  tp_param_text(p, rec->reuse_parts);
  tp_param_text(p, "running"); /* $33, $34: tp_run_as_reused */
  tp_param_text(p, NULL);
  if (status == AERO_OK && failed)
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  if (status != AERO_OK)
    tp_run_prepared_free(ins);
  return status;
}

aero_status tp_run_begin(void *handle, const aero_run_record *record,
                         int64_t *run_id, aero_error *err) {
  tp_store *store = handle;
  if (record == NULL || record->struct_size == 0)
    return aero_fail(err, AERO_E_INVALID, "tracker-postgres: no run record");
  aero_run_record rec = {0};
  memcpy(&rec, record,
         record->struct_size < sizeof rec ? record->struct_size : sizeof rec);
  aero_status status = pc_check_record(&rec, err);
  if (status == AERO_OK && rec.reuse_key != NULL)
    status = pc_check_reuse_key("tracker-postgres", rec.reuse_key,
                                rec.reuse_job, rec.reuse_parts, err);
  if (status != AERO_OK)
    return status;
  pthread_mutex_lock(&store->lock);
  status = tp_lease_claim(store, err);
  char client_key[64];
  snprintf(client_key, sizeof client_key, "%s:%lld", store->lease,
           (long long)++store->run_seq);
  tp_run_insert ins;
  if (status == AERO_OK)
    status = tp_run_prepare(&ins, &rec, store->lease, client_key, err);
  if (status == AERO_OK) {
    status = tp_once(store, insert_body, &ins, "recording a run", err);
    if (status == AERO_OK)
      *run_id = ins.id;
    tp_run_prepared_free(&ins);
  }
  pthread_mutex_unlock(&store->lock);
  return status;
}

aero_status tp_run_mode(tp_store *store, int64_t run_id, bool *dev,
                        aero_error *err) {
  tp_params p = {0};
  tp_param_int(&p, run_id);
  PGresult *res = NULL;
  aero_status status =
      tp_exec(store, "SELECT mode, status FROM runs WHERE id = $1 FOR SHARE",
              &p, &res, "reading a run", err);
  if (status != AERO_OK)
    return status;
  if (PQntuples(res) == 0)
    status = aero_fail(err, AERO_E_NOT_FOUND, "%s: there is no run %lld",
                       store->server, (long long)run_id);
  else if (strcmp(PQgetvalue(res, 0, 1), "running") != 0)
    status = aero_fail(err, AERO_E_STATE, "%s: run %lld has already ended (%s)",
                       store->server, (long long)run_id, PQgetvalue(res, 0, 1));
  else
    *dev = strcmp(PQgetvalue(res, 0, 0), "dev") == 0;
  PQclear(res);
  return status;
}

typedef struct end_ctx {
  int64_t run_id;
  const aero_run_outcome *out;
  const char *state;
} end_ctx;

static aero_status end_body(tp_store *store, void *ctx_, aero_error *err) {
  end_ctx *ctx = ctx_;
  tp_params p = {0};
  tp_param_int(&p, ctx->run_id);
  PGresult *res = NULL;
  aero_status status =
      tp_exec(store, "SELECT status FROM runs WHERE id = $1 FOR UPDATE", &p,
              &res, "reading a run", err);
  if (status != AERO_OK)
    return status;
  const char *now = PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : NULL;
  if (now == NULL)
    status = aero_fail(err, AERO_E_NOT_FOUND, "%s: there is no run %lld",
                       store->server, (long long)ctx->run_id);
  else if (strcmp(now, "running") != 0 && strcmp(now, ctx->state) != 0)
    status = aero_fail(err, AERO_E_STATE, "%s: run %lld has already ended (%s)",
                       store->server, (long long)ctx->run_id, now);
  bool already = status == AERO_OK && strcmp(now, "running") != 0;
  PQclear(res);
  /* Already in this state: an earlier try committed but its reply was
   * lost with the connection. */
  if (status != AERO_OK || already)
    return status;
  tp_params u = {0};
  tp_param_text(&u, ctx->state);
  if (ctx->out->exit_code >= 0)
    tp_param_int(&u, ctx->out->exit_code);
  else
    tp_param_text(&u, NULL);
  if (ctx->out->signal > 0)
    tp_param_int(&u, ctx->out->signal);
  else
    tp_param_text(&u, NULL);
  tp_param_text(&u, ctx->out->message);
  tp_param_int(&u, ctx->out->ended_ns != 0 ? ctx->out->ended_ns : tp_now_ns());
  tp_param_int(&u, ctx->run_id);
  status = tp_exec(store,
                   "UPDATE runs SET status = $1, exit_code = $2, signal = $3, "
                   "message = $4, ended_at = $5 WHERE id = $6",
                   &u, NULL, "recording how a run ended", err);
  if (status == AERO_OK)
    status = tp_versions_settle(store, ctx->run_id,
                                ctx->out->state == AERO_RUN_OK, err);
  return status;
}

aero_status tp_run_end(void *handle, int64_t run_id,
                       const aero_run_outcome *outcome, aero_error *err) {
  tp_store *store = handle;
  aero_run_outcome out;
  const char *state = NULL;
  aero_status checked = pc_run_outcome_read("tracker-postgres", run_id,
                                            outcome, &out, &state, err);
  if (checked != AERO_OK)
    return checked;
  end_ctx ctx = {.run_id = run_id, .out = &out, .state = state};
  pthread_mutex_lock(&store->lock);
  aero_status status =
      tp_txn(store, end_body, &ctx, "recording how a run ended", err);
  pthread_mutex_unlock(&store->lock);
  return status;
}

typedef struct exec_ctx {
  const char *sql;
  tp_params params;
  const char *what;
} exec_ctx;

static aero_status exec_body(tp_store *store, void *ctx_, aero_error *err) {
  exec_ctx *ctx = ctx_;
  return tp_exec(store, ctx->sql, &ctx->params, NULL, ctx->what, err);
}

aero_status tp_log_metric_rows(void *handle, int64_t run_id,
                               const aero_metric_row *rows, size_t count,
                               aero_error *err) {
  tp_store *store = handle;
  if (count == 0)
    return AERO_OK;
  aero_status checked =
      pc_check_metric_rows("tracker-postgres", rows, count, err);
  if (checked != AERO_OK)
    return checked;
  pg_array keys = {0}, values = {0}, steps = {0}, times = {0};
  for (size_t i = 0; i < count; i++) {
    char num[32];
    array_add(&keys, rows[i].key);
    snprintf(num, sizeof num, "%.17g", rows[i].value);
    array_add(&values, num);
    snprintf(num, sizeof num, "%lld", (long long)rows[i].step);
    array_add(&steps, rows[i].step == AERO_NO_STEP ? NULL : num);
    snprintf(num, sizeof num, "%lld", (long long)rows[i].logged_ns);
    array_add(&times, num);
  }
  exec_ctx ctx = {.sql = "INSERT INTO metrics (run_id, key, value, step, "
                         "logged_at) SELECT $1, u.k, u.v, u.s, u.t FROM "
                         "unnest($2::text[], $3::float8[], $4::bigint[], "
                         "$5::bigint[]) AS u(k, v, s, t)",
                  .what = "recording metrics"};
  tp_param_int(&ctx.params, run_id);
  tp_param_text(&ctx.params, array_text(&keys));
  tp_param_text(&ctx.params, array_text(&values));
  tp_param_text(&ctx.params, array_text(&steps));
  tp_param_text(&ctx.params, array_text(&times));
  aero_status status;
  if (keys.failed || values.failed || steps.failed || times.failed) {
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  } else {
    pthread_mutex_lock(&store->lock);
    status = tp_once(store, exec_body, &ctx, ctx.what, err);
    pthread_mutex_unlock(&store->lock);
  }
  free(keys.buf), free(values.buf), free(steps.buf), free(times.buf);
  return status;
}

aero_status tp_log_metrics(void *handle, int64_t run_id,
                           const aero_metric *metrics, size_t count,
                           int64_t step, aero_error *err) {
  return pc_log_metrics_as_rows("tracker-postgres", handle, run_id, metrics,
                                count, step, tp_now_ns(), tp_log_metric_rows,
                                err);
}

aero_status tp_log_text(void *handle, int64_t run_id, aero_log_level level,
                        const char *message, aero_error *err) {
  tp_store *store = handle;
  const char *name = pc_level_name(level);
  if (name == NULL)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: unknown log level %d", (int)level);
  exec_ctx ctx = {.sql = "INSERT INTO run_logs (run_id, level, message, "
                         "logged_at) VALUES ($1, $2, $3, $4)",
                  .what = "recording a log line"};
  tp_param_int(&ctx.params, run_id);
  tp_param_text(&ctx.params, name);
  tp_param_text(&ctx.params, message != NULL ? message : "");
  tp_param_int(&ctx.params, tp_now_ns());
  pthread_mutex_lock(&store->lock);
  aero_status status = tp_once(store, exec_body, &ctx, ctx.what, err);
  pthread_mutex_unlock(&store->lock);
  return status;
}
