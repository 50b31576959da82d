/* Rows of the query members as JSON, the one schema (docs/json-schema.md). */
#include "record_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *aeh_state_word(uint32_t state) {
  static const char *const words[] = {
      [AERO_RUN_RUNNING] = "running",     [AERO_RUN_OK] = "ok",
      [AERO_RUN_FAILED] = "failed",       [AERO_RUN_CRASHED] = "crashed",
      [AERO_RUN_TIMED_OUT] = "timed_out", [AERO_RUN_KILLED] = "killed",
      [AERO_RUN_SKIPPED] = "skipped",     [AERO_RUN_BAILED] = "bailed",
      [AERO_RUN_REUSED] = "reused",
  };
  if (state < sizeof words / sizeof *words && words[state] != NULL)
    return words[state];
  return "unknown";
}

const char *aeh_level_word(uint32_t level) {
  static const char *const words[] = {[AERO_LOG_ERROR] = "error",
                                      [AERO_LOG_WARN] = "warn",
                                      [AERO_LOG_INFO] = "info",
                                      [AERO_LOG_DEBUG] = "debug"};
  if (level < sizeof words / sizeof *words && words[level] != NULL)
    return words[level];
  return "unknown";
}

json_t *aeh_json_time(int64_t ns) {
  if (ns == 0)
    return json_null();
  time_t secs = (time_t)(ns / 1000000000);
  struct tm tm;
  if (gmtime_r(&secs, &tm) == NULL)
    return json_null();
  char text[40];
  size_t n = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(text + n, sizeof text - n, ".%03dZ",
           (int)((ns % 1000000000) / 1000000));
  return json_string(text);
}

static json_t *int_or_null(bool present, int64_t value) {
  return present ? json_integer(value) : json_null();
}

/* The output names of a run row ("a\nb") as an array. */
static json_t *names_array(const char *lines) {
  json_t *array = json_array();
  if (array == NULL || lines == NULL)
    return array;
  const char *p = lines;
  while (*p != '\0') {
    size_t len = strcspn(p, "\n");
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)len, p);
    if (aeh_json_append(array, aeh_json_text(name)) != 0) {
      json_decref(array);
      return NULL;
    }
    p += len;
    if (*p == '\n')
      p++;
  }
  return array;
}

json_t *aeh_json_run(const aero_run_info *run) {
  json_t *o = json_object();
  if (o == NULL)
    return NULL;
  int64_t duration_ns =
      run->ended_ns != 0 ? run->ended_ns - run->started_ns : 0;
  int bad = 0;
  bad |= aeh_json_set(o, "id", json_integer(run->id));
  bad |=
      aeh_json_set(o, "entity", aeh_json_text(run->entity ? run->entity : ""));
  bad |= aeh_json_set(o, "project", aeh_json_text(run->project));
  bad |= aeh_json_set(o, "job_type", aeh_json_text(run->job_type));
  bad |= aeh_json_set(o, "job_group", aeh_json_text(run->job_group));
  bad |= aeh_json_set(o, "output_names", names_array(run->outputs));
  bad |= aeh_json_set(o, "mode", json_string(run->dev ? "dev" : "prod"));
  bad |= aeh_json_set(o, "status", json_string(aeh_state_word(run->state)));
  bad |= aeh_json_set(o, "exit_code",
                      int_or_null(run->exit_code >= 0, run->exit_code));
  bad |= aeh_json_set(o, "signal", int_or_null(run->signal > 0, run->signal));
  bad |= aeh_json_set(o, "message", aeh_json_text(run->message));
  bad |= aeh_json_set(o, "started_at", aeh_json_time(run->started_ns));
  bad |= aeh_json_set(o, "ended_at", aeh_json_time(run->ended_ns));
  bad |= aeh_json_set(o, "duration_s",
                      run->ended_ns != 0 ? aeh_json_number(duration_ns / 1e9)
                                         : json_null());
  bad |= aeh_json_set(o, "git_commit", aeh_json_text(run->git_commit));
  bad |= aeh_json_set(o, "git_branch", aeh_json_text(run->git_branch));
  bool reused =
      AERO_ROW_HAS(run, aero_run_info, reused_run) && run->reused_run > 0;
  bad |= aeh_json_set(o, "reused_run", int_or_null(reused, run->reused_run));
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *aeh_json_version(const aeh_version *v) {
  json_t *o = json_object();
  if (o == NULL)
    return NULL;
  char ref[512];
  aeh_version_ref(v->entity, v->project, v->name, v->version, ref, sizeof ref);
  int bad = 0;
  bad |= aeh_json_set(o, "id", json_integer(v->id));
  bad |= aeh_json_set(o, "ref", aeh_json_text(ref));
  bad |= aeh_json_set(o, "entity", aeh_json_text(v->entity));
  bad |= aeh_json_set(o, "project", aeh_json_text(v->project));
  bad |= aeh_json_set(o, "name", aeh_json_text(v->name));
  bad |= aeh_json_set(o, "version", json_integer(v->version));
  bad |= aeh_json_set(o, "mode", json_string(v->dev ? "dev" : "prod"));
  bad |= aeh_json_set(o, "digest", aeh_json_text(v->digest));
  bad |= aeh_json_set(o, "type", aeh_json_text(v->type));
  bad |= aeh_json_set(o, "run_id", json_integer(v->run_id));
  bad |= aeh_json_set(o, "created_at", aeh_json_time(v->created_ns));
  bad |= aeh_json_set(o, "file_count", json_integer(v->file_count));
  bad |= aeh_json_set(o, "total_size", json_integer(v->total_size));
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *aeh_json_file(const aero_file_info *file) {
  json_t *o = json_object();
  if (o == NULL)
    return NULL;
  if (aeh_json_set(o, "path", aeh_json_text(file->path)) ||
      aeh_json_set(o, "sha256", aeh_json_text(file->sha256)) ||
      aeh_json_set(o, "size", json_integer(file->size))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *aeh_json_metric_summary(const aero_metric_summary *m) {
  json_t *o = json_object();
  if (o == NULL)
    return NULL;
  if (aeh_json_set(o, "last", aeh_json_number(m->last)) ||
      aeh_json_set(o, "last_step",
                   int_or_null(m->last_step != AERO_NO_STEP, m->last_step)) ||
      aeh_json_set(o, "min", aeh_json_number(m->min)) ||
      aeh_json_set(o, "max", aeh_json_number(m->max)) ||
      aeh_json_set(o, "count", json_integer(m->count))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *aeh_json_point(const aero_metric_row *row) {
  json_t *o = json_object();
  if (o == NULL)
    return NULL;
  if (aeh_json_set(o, "key", aeh_json_text(row->key)) ||
      aeh_json_set(o, "step",
                   int_or_null(row->step != AERO_NO_STEP, row->step)) ||
      aeh_json_set(o, "value", aeh_json_number(row->value)) ||
      aeh_json_set(o, "time", aeh_json_time(row->logged_ns))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static aero_status nomem(aero_error *err) {
  return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
}

/* ---- listings ---- */

/* The listing being built: runs matching `text` (NULL: every run) are
 * appended until `limit` (0: no limit) are there. */
typedef struct listing {
  json_t *runs;
  const char *text;
  uint32_t limit;
  bool full; /* stopped because the page is full */
} listing;

/* True when `needle` occurs in `hay` ignoring ASCII case. */
static bool has_text(const char *hay, const char *needle) {
  return hay != NULL && strcasestr(hay, needle) != NULL;
}

/* What a text search looks at: the run's id, names, status, message and
 * git state (what the listing shows; config needs a query per run). */
static bool matches(const aero_run_info *run, const char *text) {
  char id[24];
  snprintf(id, sizeof id, "%lld", (long long)run->id);
  return strcmp(id, text) == 0 || has_text(run->project, text) ||
         has_text(run->job_type, text) || has_text(run->job_group, text) ||
         has_text(run->outputs, text) || has_text(run->message, text) ||
         has_text(run->git_branch, text) || has_text(run->git_commit, text) ||
         has_text(aeh_state_word(run->state), text);
}

static aero_status add_run(void *ctx, const aero_run_info *run,
                           aero_error *err) {
  listing *l = ctx;
  if (l->text != NULL && !matches(run, l->text))
    return AERO_OK;
  if (aeh_json_append(l->runs, aeh_json_run(run)) != 0)
    return nomem(err);
  if (l->limit != 0 && json_array_size(l->runs) == l->limit) {
    l->full = true;
    return AERO_E_INTERRUPTED; /* stops the query; not an error here */
  }
  return AERO_OK;
}

static aero_status add_last(void *ctx, const aero_metric_summary *m,
                            aero_error *err) {
  return aeh_json_set(ctx, m->key, aeh_json_number(m->last)) == 0 ? AERO_OK
                                                                  : nomem(err);
}

aero_status aeh_record_runs_json(const aeh_record *rec,
                                 const aero_run_filter *filter, json_t **out,
                                 aero_error *err) {
  return aeh_record_runs_search_json(rec, filter, NULL, out, err);
}

aero_status aeh_record_runs_search_json(const aeh_record *rec,
                                        const aero_run_filter *filter,
                                        const char *text, json_t **out,
                                        aero_error *err) {
  aero_status status = AEH_RECORD_NEED(rec, query_runs, err);
  if (status == AERO_OK)
    status = AEH_RECORD_NEED(rec, query_run, err);
  if (status != AERO_OK)
    return status;
  json_t *runs = json_array();
  json_t *doc = json_object();
  if (runs == NULL || doc == NULL) {
    json_decref(runs);
    json_decref(doc);
    return nomem(err);
  }
  /* A search reads runs until a page of matches is found, so the backend
   * is asked for no limit and stopped by add_run. */
  aero_run_filter f = *filter;
  listing l = {runs, text != NULL && text[0] != '\0' ? text : NULL,
               filter->limit, false};
  if (l.text != NULL)
    f.limit = 0;
  status = rec->vt->query_runs(rec->handle, &f, add_run, &l, err);
  if (status == AERO_E_INTERRUPTED && l.full)
    status = AERO_OK;
  /* The last metric values, run by run: a callback may not call into the
   * handle that calls it, so after the listing. */
  aero_run_sink sink = {.struct_size = sizeof sink, .metric_summary = add_last};
  size_t i;
  json_t *run;
  json_array_foreach(runs, i, run) {
    if (status != AERO_OK)
      break;
    json_t *last = json_object();
    if (aeh_json_set(run, "last_metrics", last) != 0) {
      status = nomem(err);
      break;
    }
    status = rec->vt->query_run(rec->handle,
                                json_integer_value(json_object_get(run, "id")),
                                &sink, last, err);
  }
  size_t n = json_array_size(runs);
  json_t *next = filter->limit != 0 && n == filter->limit
                     ? json_integer(json_integer_value(
                           json_object_get(json_array_get(runs, n - 1), "id")))
                     : json_null();
  if (status == AERO_OK && (aeh_json_set(doc, "runs", json_incref(runs)) ||
                            aeh_json_set(doc, "next_before_id", next)))
    status = nomem(err);
  else if (status != AERO_OK)
    json_decref(next);
  json_decref(runs);
  if (status != AERO_OK) {
    json_decref(doc);
    return status;
  }
  *out = doc;
  return AERO_OK;
}

/* ---- one run ---- */

typedef struct detail {
  json_t *run; /* the document */
  json_t *environment, *config, *tags, *inputs, *outputs, *logs, *metrics;
} detail;

static aero_status on_run(void *ctx, const aero_run_info *run,
                          aero_error *err) {
  detail *d = ctx;
  d->run = aeh_json_run(run);
  return d->run != NULL ? AERO_OK : nomem(err);
}

static aero_status on_env(void *ctx, const char *key, const char *value,
                          aero_error *err) {
  return aeh_json_set(((detail *)ctx)->environment, key, aeh_json_text(value))
             ? nomem(err)
             : AERO_OK;
}

static json_t *value_json(const aero_value *v) {
  switch (v->type) {
  case AERO_VALUE_BOOL:
    return json_boolean(v->as.b);
  case AERO_VALUE_INT:
    return json_integer(v->as.i);
  case AERO_VALUE_DOUBLE:
    return aeh_json_number(v->as.d);
  default:
    return aeh_json_text(v->as.s);
  }
}

static aero_status on_config(void *ctx, const aero_kv *kv, aero_error *err) {
  return aeh_json_set(((detail *)ctx)->config, kv->key, value_json(&kv->value))
             ? nomem(err)
             : AERO_OK;
}

static aero_status on_tag(void *ctx, const char *tag, aero_error *err) {
  return aeh_json_append(((detail *)ctx)->tags, aeh_json_text(tag)) ? nomem(err)
                                                                    : AERO_OK;
}

static aero_status add_version(json_t *array, const aero_version_info *row,
                               aero_error *err) {
  aeh_version v;
  aeh_version_copy(&v, row);
  return aeh_json_append(array, aeh_json_version(&v)) ? nomem(err) : AERO_OK;
}

static aero_status on_input(void *ctx, const aero_version_info *v,
                            aero_error *err) {
  return add_version(((detail *)ctx)->inputs, v, err);
}

static aero_status on_output(void *ctx, const aero_version_info *v,
                             aero_error *err) {
  return add_version(((detail *)ctx)->outputs, v, err);
}

static aero_status on_log(void *ctx, const aero_log_line *line,
                          aero_error *err) {
  json_t *o = json_object();
  if (o == NULL ||
      aeh_json_set(o, "level", json_string(aeh_level_word(line->level))) ||
      aeh_json_set(o, "message", aeh_json_text(line->message)) ||
      aeh_json_set(o, "time", aeh_json_time(line->logged_ns))) {
    json_decref(o);
    return nomem(err);
  }
  return aeh_json_append(((detail *)ctx)->logs, o) ? nomem(err) : AERO_OK;
}

static aero_status on_summary(void *ctx, const aero_metric_summary *m,
                              aero_error *err) {
  return aeh_json_set(((detail *)ctx)->metrics, m->key,
                      aeh_json_metric_summary(m))
             ? nomem(err)
             : AERO_OK;
}

static aero_status add_file(void *ctx, const aero_file_info *f,
                            aero_error *err) {
  return aeh_json_append(ctx, aeh_json_file(f)) ? nomem(err) : AERO_OK;
}

aero_status aeh_record_files_json(const aeh_record *rec, int64_t version_id,
                                  json_t **out, aero_error *err) {
  aero_status status = AEH_RECORD_NEED(rec, query_files, err);
  if (status != AERO_OK)
    return status;
  json_t *files = json_array();
  if (files == NULL)
    return nomem(err);
  status = rec->vt->query_files(rec->handle, version_id, add_file, files, err);
  if (status != AERO_OK) {
    json_decref(files);
    return status;
  }
  *out = files;
  return AERO_OK;
}

static aero_status add_metadata_entry(void *ctx, const aero_kv *kv,
                                      aero_error *err) {
  return aeh_json_set(ctx, kv->key, value_json(&kv->value)) ? nomem(err)
                                                            : AERO_OK;
}

aero_status aeh_record_metadata_json(const aeh_record *rec, int64_t version_id,
                                     json_t **out, aero_error *err) {
  json_t *metadata = json_object();
  if (metadata == NULL)
    return nomem(err);
  aero_status status = AERO_OK;
  if (rec->vt->query_metadata != NULL) /* else the backend keeps none */
    status = rec->vt->query_metadata(rec->handle, version_id,
                                     add_metadata_entry, metadata, err);
  if (status != AERO_OK) {
    json_decref(metadata);
    return status;
  }
  *out = metadata;
  return AERO_OK;
}

/* Adds "files" and "metadata" to each VERSION of `versions`, after the
 * query that listed them (a callback may not call into the store). */
static aero_status add_version_details(const aeh_record *rec, json_t *versions,
                                       aero_error *err) {
  size_t i;
  json_t *v;
  json_array_foreach(versions, i, v) {
    int64_t id = json_integer_value(json_object_get(v, "id"));
    json_t *files = NULL, *metadata = NULL;
    aero_status status = aeh_record_files_json(rec, id, &files, err);
    if (status == AERO_OK && aeh_json_set(v, "files", files))
      status = nomem(err);
    if (status == AERO_OK)
      status = aeh_record_metadata_json(rec, id, &metadata, err);
    if (status == AERO_OK && aeh_json_set(v, "metadata", metadata))
      status = nomem(err);
    if (status != AERO_OK)
      return status;
  }
  return AERO_OK;
}

aero_status aeh_record_run_json(const aeh_record *rec, int64_t run_id,
                                json_t **out, aero_error *err) {
  aero_status status = AEH_RECORD_NEED(rec, query_run, err);
  if (status != AERO_OK)
    return status;
  detail d = {.environment = json_object(),
              .config = json_object(),
              .tags = json_array(),
              .inputs = json_array(),
              .outputs = json_array(),
              .logs = json_array(),
              .metrics = json_object()};
  if (!d.environment || !d.config || !d.tags || !d.inputs || !d.outputs ||
      !d.logs || !d.metrics)
    status = nomem(err);
  aero_run_sink sink = {.struct_size = sizeof sink,
                        .run = on_run,
                        .environment = on_env,
                        .config = on_config,
                        .tag = on_tag,
                        .input = on_input,
                        .output = on_output,
                        .log_line = on_log,
                        .metric_summary = on_summary};
  if (status == AERO_OK)
    status = rec->vt->query_run(rec->handle, run_id, &sink, &d, err);
  if (status == AERO_OK && d.run == NULL)
    status = aeh_error_set(err, AERO_E_STORE,
                           "the backend reported no row for run %lld",
                           (long long)run_id);
  if (status == AERO_OK)
    status = add_version_details(rec, d.inputs, err);
  if (status == AERO_OK)
    status = add_version_details(rec, d.outputs, err);
  if (status == AERO_OK &&
      (aeh_json_set(d.run, "environment", json_incref(d.environment)) ||
       aeh_json_set(d.run, "config", json_incref(d.config)) ||
       aeh_json_set(d.run, "tags", json_incref(d.tags)) ||
       aeh_json_set(d.run, "inputs", json_incref(d.inputs)) ||
       aeh_json_set(d.run, "outputs", json_incref(d.outputs)) ||
       aeh_json_set(d.run, "logs", json_incref(d.logs)) ||
       aeh_json_set(d.run, "metrics", json_incref(d.metrics))))
    status = nomem(err);
  json_decref(d.environment);
  json_decref(d.config);
  json_decref(d.tags);
  json_decref(d.inputs);
  json_decref(d.outputs);
  json_decref(d.logs);
  json_decref(d.metrics);
  if (status != AERO_OK) {
    json_decref(d.run);
    return status;
  }
  *out = d.run;
  return AERO_OK;
}

/* ---- artifact versions ---- */

static aero_status add_listed_version(void *ctx, const aero_version_info *row,
                                      aero_error *err) {
  return add_version(ctx, row, err);
}

aero_status aeh_record_versions_json(const aeh_record *rec,
                                     const aero_version_filter *filter,
                                     bool with_files, json_t **out,
                                     aero_error *err) {
  aero_status status = AEH_RECORD_NEED(rec, query_versions, err);
  if (status != AERO_OK)
    return status;
  json_t *list = json_array();
  json_t *doc = json_object();
  if (list == NULL || doc == NULL)
    status = nomem(err);
  if (status == AERO_OK)
    status = rec->vt->query_versions(rec->handle, filter, add_listed_version,
                                     list, err);
  if (status == AERO_OK && with_files)
    status = add_version_details(rec, list, err);
  if (status == AERO_OK && aeh_json_set(doc, "artifacts", json_incref(list)))
    status = nomem(err);
  json_decref(list);
  if (status != AERO_OK) {
    json_decref(doc);
    return status;
  }
  *out = doc;
  return AERO_OK;
}
