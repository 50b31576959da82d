/* aeromancy store copy FROM TO: a store's history into another store,
 * through the backends' members only (query members on FROM, write members
 * on TO), so that it works between any two backends: a local store into a
 * team store, and back.
 *
 * Runs are copied oldest first, each as a run of TO with its record (times,
 * mode, config, tags, environment, metrics, log lines, how it ended) and
 * its outputs stored again from FROM's files, so TO checks and dedupes
 * them as for any run: identical content reuses the version TO has. Inputs
 * are pinned to TO's version of the same artifact with the same digest.
 * Each copied run carries the tag "copied" and the environment fact
 * copied_from = "FROM#ID": a second copy skips what the first did, so the
 * command is idempotent and resumes where an interrupted copy stopped (a
 * run whose copy was cut short or failed is copied again: a copy is done
 * when it ended as its original did).
 * Runs still running in FROM are left out. A version's metadata goes with
 * it when FROM's backend reads it back (query_metadata, ABI 1.4). Not
 * carried over: when each log line was written (TO records the copy's
 * time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aeu.h"
#include "minheap.h"
#include "command.h"
#include "read_cmd.h"
#include "store.h"

enum { O_FROM_BACKEND = 1, O_TO_BACKEND };

typedef struct copy_opts {
  const char *from_backend, *to_backend;
} copy_opts;

static int apply_option(void *ctx, const aeh_option *op, const char *value) {
  copy_opts *o = ctx;
  if (op->id == O_FROM_BACKEND)
    o->from_backend = value;
  else if (op->id == O_TO_BACKEND)
    o->to_backend = value;
  return 0;
}

/* The backend a location implies: a PostgreSQL URL or key=value words
 * name the team store, anything else a local folder. */
static const char *backend_of(const char *location) {
  size_t word = strspn(location, "abcdefghijklmnopqrstuvwxyz_");
  if (strncmp(location, "postgresql://", 13) == 0 ||
      strncmp(location, "postgres://", 11) == 0 ||
      (word > 0 && location[word] == '='))
    return "postgres";
  return "local";
}

/* A growing list of strings, all owned. */
typedef struct strs {
  char **v;
  size_t n, cap;
  bool failed;
} strs;

static void strs_add(strs *s, const char *text) {
  if (s->failed)
    return;
  char **grown = aeu_grow(s->v, &s->cap, s->n + 1, sizeof *grown, 16);
  if (grown == NULL) {
    s->failed = true;
    return;
  }
  s->v = grown;
  if ((s->v[s->n] = strdup(text != NULL ? text : "")) == NULL)
    s->failed = true;
  else
    s->n++;
}

static void strs_free(strs *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
  memset(s, 0, sizeof *s);
}

typedef struct side {
  aeh_store *store;
  const aero_backend_vtable *vt;
  void *handle;
} side;

/* ---- what TO already holds: copied_from of its copied runs ---- */

/* A copy as TO holds it, or a run of FROM as its copy would be: where it
 * came from (copied_from, "FROM#ID"; NULL where not needed) and how it
 * ended. A copy is whole when the three match its original's, compared
 * field by field. */
typedef struct copy_key {
  char *origin;
  unsigned state;
  char *message;
  int64_t to_id; /* the copy's id in TO; 0 for a run of FROM */
} copy_key;

/* A growing list of copy keys, all owned. */
typedef struct copy_keys {
  copy_key *v;
  size_t n, cap;
  bool failed;
} copy_keys;

static void keys_add(copy_keys *k, const char *origin, unsigned state,
                     const char *message, int64_t to_id) {
  if (k->failed)
    return;
  copy_key *grown = aeu_grow(k->v, &k->cap, k->n + 1, sizeof *grown, 16);
  if (grown == NULL) {
    k->failed = true;
    return;
  }
  k->v = grown;
  copy_key *key = &k->v[k->n];
  key->origin = origin != NULL ? strdup(origin) : NULL;
  key->state = state;
  key->to_id = to_id;
  key->message = strdup(message != NULL ? message : "");
  if ((origin != NULL && key->origin == NULL) || key->message == NULL) {
    free(key->origin);
    free(key->message);
    k->failed = true;
    return;
  }
  k->n++;
}

static void keys_free(copy_keys *k) {
  for (size_t i = 0; i < k->n; i++) {
    free(k->v[i].origin);
    free(k->v[i].message);
  }
  free(k->v);
  memset(k, 0, sizeof *k);
}

/* TO's whole copy of `origin`, ended as `end`: its id, 0 for none. */
static int64_t keys_find(const copy_keys *k, const char *origin,
                         const copy_key *end) {
  for (size_t i = 0; i < k->n; i++)
    if (k->v[i].origin != NULL && strcmp(k->v[i].origin, origin) == 0 &&
        k->v[i].state == end->state &&
        strcmp(k->v[i].message, end->message) == 0)
      return k->v[i].to_id;
  return 0;
}

/* How a run ended, as a copy must have ended too. */
static void add_ending(copy_keys *k, const aero_run_info *run) {
  keys_add(k, NULL, (unsigned)run->state, run->message, 0);
}

typedef struct seen_ctx {
  side *to;
  strs ids;          /* TO's copied runs */
  copy_keys endings; /* how each ended (add_ending) */
  size_t at;         /* the run whose environment is being read */
  copy_keys from;    /* copied_from and ending of each */
} seen_ctx;

static aero_status seen_run(void *ctx, const aero_run_info *run,
                            aero_error *err) {
  (void)err;
  seen_ctx *s = ctx;
  char id[32];
  snprintf(id, sizeof id, "%lld", (long long)run->id);
  strs_add(&s->ids, id);
  add_ending(&s->endings, run);
  return AERO_OK;
}

static aero_status seen_env(void *ctx, const char *key, const char *value,
                            aero_error *err) {
  (void)err;
  seen_ctx *s = ctx;
  if (strcmp(key, "copied_from") != 0)
    return AERO_OK;
  const copy_key *end = &s->endings.v[s->at];
  keys_add(&s->from, value, end->state, end->message,
           strtoll(s->ids.v[s->at], NULL, 10));
  return AERO_OK;
}

/* The runs of FROM that TO holds a whole copy of: copied_from and ending.
 * A copy counts only when it ended as its original did: one cut short
 * (the command interrupted: `running`, later `killed`) or failed ("the
 * copy of this run failed") is copied again, not counted as done. */
static aero_status already_copied(side *to, copy_keys *out, aero_error *err) {
  seen_ctx s = {.to = to};
  aero_run_filter filter = {.struct_size = sizeof filter, .tag = "copied"};
  aero_status st = to->vt->query_runs(to->handle, &filter, seen_run, &s, err);
  if (st == AERO_OK && (s.ids.failed || s.endings.failed))
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  aero_run_sink sink = {.struct_size = sizeof sink, .environment = seen_env};
  for (size_t i = 0; st == AERO_OK && i < s.ids.n; i++) {
    s.at = i;
    st = to->vt->query_run(to->handle, strtoll(s.ids.v[i], NULL, 10), &sink, &s,
                           err);
  }
  bool failed = s.ids.failed || s.endings.failed || s.from.failed;
  strs_free(&s.ids);
  keys_free(&s.endings);
  if (st == AERO_OK && failed)
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (st != AERO_OK) {
    keys_free(&s.from);
    return st;
  }
  *out = s.from;
  return AERO_OK;
}

/* Typed key/value pairs (a run's config, a version's metadata) copied out
 * of a callback: each value kept as text, with its type. */
typedef struct kvs {
  strs keys, values;
  uint32_t *types;
  size_t cap;
} kvs;

static aero_status kvs_add(kvs *k, const aero_kv *kv, aero_error *err) {
  char text[64];
  const char *value = text;
  switch (kv->value.type) {
  case AERO_VALUE_BOOL:
    snprintf(text, sizeof text, "%d", kv->value.as.b ? 1 : 0);
    break;
  case AERO_VALUE_INT:
    snprintf(text, sizeof text, "%lld", (long long)kv->value.as.i);
    break;
  case AERO_VALUE_DOUBLE:
    snprintf(text, sizeof text, "%.17g", kv->value.as.d);
    break;
  default:
    value = kv->value.as.s;
  }
  uint32_t *grown =
      aeu_grow(k->types, &k->cap, k->keys.n + 1, sizeof *grown, 16);
  if (grown == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  k->types = grown;
  k->types[k->keys.n] = kv->value.type;
  strs_add(&k->keys, kv->key);
  strs_add(&k->values, value);
  return AERO_OK;
}

/* The pairs as an array of k->keys.n aero_kv (pointing into `k`), which
 * the caller frees; NULL when out of memory. */
static aero_kv *kvs_array(const kvs *k) {
  aero_kv *out = calloc(k->keys.n + 1, sizeof *out);
  if (out == NULL || k->keys.failed || k->values.failed) {
    free(out);
    return NULL;
  }
  for (size_t i = 0; i < k->keys.n; i++) {
    const char *text = k->values.v[i];
    aero_value value = {.type = k->types[i]};
    if (value.type == AERO_VALUE_BOOL)
      value.as.b = strcmp(text, "0") != 0;
    else if (value.type == AERO_VALUE_INT)
      value.as.i = strtoll(text, NULL, 10);
    else if (value.type == AERO_VALUE_DOUBLE)
      value.as.d = strtod(text, NULL);
    else
      value.as.s = text;
    out[i] = (aero_kv){.key = k->keys.v[i], .value = value};
  }
  return out;
}

static void kvs_free(kvs *k) {
  strs_free(&k->keys);
  strs_free(&k->values);
  free(k->types);
  memset(k, 0, sizeof *k);
}

static aero_status kvs_add_cb(void *ctx, const aero_kv *kv, aero_error *err) {
  return kvs_add(ctx, kv, err);
}

/* ---- one run of FROM, gathered ---- */

typedef struct version_ref {
  char entity[128], project[128], name[128], digest[65], type[64];
  int64_t id;
  int64_t version; /* its number */
  bool dev;        /* made by a dev run */
} version_ref;

typedef struct gathered {
  aero_run_info run; /* strings point into `text` */
  strs text;         /* owned copies of the run's strings */
  strs env_keys, env_values, tags;
  kvs config;
  version_ref *inputs, *outputs;
  size_t input_count, output_count;
  strs log_levels, log_lines;
  bool failed;
} gathered;

static const char *keep(gathered *g, const char *text) {
  if (text == NULL)
    return NULL;
  strs_add(&g->text, text);
  return g->text.failed ? "" : g->text.v[g->text.n - 1];
}

static aero_status g_run(void *ctx, const aero_run_info *run, aero_error *err) {
  (void)err;
  gathered *g = ctx;
  g->run = *run;
  g->run.entity = keep(g, run->entity);
  g->run.project = keep(g, run->project);
  g->run.job_type = keep(g, run->job_type);
  g->run.job_group = keep(g, run->job_group);
  g->run.outputs = keep(g, run->outputs);
  g->run.message = keep(g, run->message);
  return AERO_OK;
}

static aero_status g_env(void *ctx, const char *key, const char *value,
                         aero_error *err) {
  (void)err;
  gathered *g = ctx;
  strs_add(&g->env_keys, key);
  strs_add(&g->env_values, value);
  return AERO_OK;
}

static aero_status g_config(void *ctx, const aero_kv *kv, aero_error *err) {
  return kvs_add(&((gathered *)ctx)->config, kv, err);
}

static aero_status g_tag(void *ctx, const char *tag, aero_error *err) {
  (void)err;
  strs_add(&((gathered *)ctx)->tags, tag);
  return AERO_OK;
}

static aero_status add_version(version_ref **list, size_t *count,
                               const aero_version_info *v, aero_error *err) {
  version_ref *grown = realloc(*list, (*count + 1) * sizeof *grown);
  if (grown == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  *list = grown;
  version_ref *r = &grown[(*count)++];
  snprintf(r->entity, sizeof r->entity, "%s", v->entity ? v->entity : "");
  snprintf(r->project, sizeof r->project, "%s", v->project);
  snprintf(r->name, sizeof r->name, "%s", v->name);
  snprintf(r->digest, sizeof r->digest, "%s", v->digest);
  snprintf(r->type, sizeof r->type, "%s", v->type ? v->type : "");
  r->id = v->id;
  r->version = v->version;
  r->dev = v->dev;
  return AERO_OK;
}

static aero_status g_input(void *ctx, const aero_version_info *v,
                           aero_error *err) {
  gathered *g = ctx;
  return add_version(&g->inputs, &g->input_count, v, err);
}

static aero_status g_output(void *ctx, const aero_version_info *v,
                            aero_error *err) {
  gathered *g = ctx;
  return add_version(&g->outputs, &g->output_count, v, err);
}

static aero_status g_log(void *ctx, const aero_log_line *line,
                         aero_error *err) {
  (void)err;
  gathered *g = ctx;
  char level[16];
  snprintf(level, sizeof level, "%u", line->level);
  strs_add(&g->log_levels, level);
  strs_add(&g->log_lines, line->message);
  return AERO_OK;
}

static void gathered_free(gathered *g) {
  strs *all[] = {&g->text, &g->env_keys,   &g->env_values,
                 &g->tags, &g->log_levels, &g->log_lines};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    strs_free(all[i]);
  kvs_free(&g->config);
  free(g->inputs);
  free(g->outputs);
  memset(g, 0, sizeof *g);
}

/* ---- writing one run into TO ---- */

typedef struct metrics_ctx {
  side *to;
  int64_t run_id;
} metrics_ctx;

static aero_status copy_metrics(void *ctx, const aero_metric_row *rows,
                                size_t count, aero_error *err) {
  metrics_ctx *m = ctx;
  if (m->to->vt->log_metric_rows != NULL)
    return m->to->vt->log_metric_rows(m->to->handle, m->run_id, rows, count,
                                      err);
  for (size_t i = 0; i < count; i++) {
    aero_metric one = {.key = rows[i].key, .value = rows[i].value};
    aero_status st = m->to->vt->log_metrics(m->to->handle, m->run_id, &one, 1,
                                            rows[i].step, err);
    if (st != AERO_OK)
      return st;
  }
  return AERO_OK;
}

/* TO's version of the same artifact with the same digest, if any. */
/* TO's version of an input: the same digest and mode (a production run
 * never read a dev version, whatever its bytes), the same number when
 * there is one. */
typedef struct match_ctx {
  const version_ref *want;
  int64_t id;
  bool same_number;
} match_ctx;

static aero_status match_version(void *ctx, const aero_version_info *v,
                                 aero_error *err) {
  (void)err;
  match_ctx *m = ctx;
  if (strcmp(v->digest, m->want->digest) != 0 || v->dev != m->want->dev ||
      m->same_number)
    return AERO_OK;
  if (m->id == 0 || v->version == m->want->version) {
    m->id = v->id;
    m->same_number = v->version == m->want->version;
  }
  return AERO_OK;
}

typedef struct files_ctx {
  strs paths;
} files_ctx;

static void add_file(void *ctx, const char *path) {
  strs_add(&((files_ctx *)ctx)->paths, path);
}

static aero_status copy_output(side *from, side *to, int64_t run_id,
                               const version_ref *v, aero_error *err) {
  files_ctx files = {{0}};
  kvs metadata = {0};
  aero_kv *meta = NULL;
  char dir[4096];
  aero_status st = from->vt->materialize(from->handle, v->id, add_file, &files,
                                         dir, sizeof dir, err);
  if (st == AERO_OK && files.paths.failed)
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  /* The metadata its action attached, when FROM's backend keeps it. */
  if (st == AERO_OK && from->vt->query_metadata != NULL)
    st = from->vt->query_metadata(from->handle, v->id, kvs_add_cb, &metadata,
                                  err);
  if (st == AERO_OK && (meta = kvs_array(&metadata)) == NULL)
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (st == AERO_OK) {
    const char *folder[] = {dir};
    aero_output_desc desc = {.struct_size = sizeof desc,
                             .name = v->name,
                             .files = folder,
                             .file_count = 1,
                             .artifact_type = v->type[0] ? v->type : NULL,
                             .strip_prefix = dir,
                             .metadata = meta,
                             .metadata_count = metadata.keys.n};
    aero_artifact_ref ref = {.entity = v->entity,
                             .project = v->project,
                             .name = v->name,
                             .version = -1};
    st = to->vt->put_output(to->handle, run_id, &ref, &desc, err);
  }
  free(meta);
  kvs_free(&metadata);
  strs_free(&files.paths);
  return st;
}

/* TO's versions of run `g`'s inputs (the same artifact with the same
 * digest), into *ids (malloc'd, the caller's), *count of them: an input
 * TO lacks is left out, as FROM's run read it from a store TO is not. */
static aero_status pin_inputs(side *to, const gathered *g, int64_t **ids,
                              size_t *count, aero_error *err) {
  *ids = g->input_count > 0 ? calloc(g->input_count, sizeof **ids) : NULL;
  *count = 0;
  if (g->input_count > 0 && *ids == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  aero_status st = AERO_OK;
  for (size_t i = 0; st == AERO_OK && i < g->input_count; i++) {
    const version_ref *v = &g->inputs[i];
    aero_version_filter f = {.struct_size = sizeof f,
                             .entity = v->entity,
                             .project = v->project,
                             .name = v->name,
                             .version = -1};
    match_ctx m = {.want = v};
    st = to->vt->query_versions(to->handle, &f, match_version, &m, err);
    if (st == AERO_OK && m.id != 0)
      (*ids)[(*count)++] = m.id;
  }
  return st;
}

/* Copies run `g` of FROM into TO as a new run, its id into *copy_id (0
 * when none was begun). A reused run whose reused run TO holds a copy of
 * (`reused_copy`, else 0) is recorded as reused from that copy, so that
 * it keeps what it stands for and holds that copy's output versions. */
static aero_status write_run(side *from, side *to, const char *origin,
                             gathered *g, int64_t reused_copy,
                             int64_t *copy_id, aero_error *err) {
  *copy_id = 0;
  size_t out_count = 0;
  strs outputs = {0};
  for (const char *p = g->run.outputs; p != NULL && *p != '\0';) {
    size_t len = strcspn(p, "\n");
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)len, p);
    strs_add(&outputs, name);
    out_count++;
    p += len + (p[len] == '\n');
  }
  strs_add(&g->tags, "copied");
  strs_add(&g->env_keys, "copied_from");
  strs_add(&g->env_values, origin);
  size_t nenv = g->env_keys.n, ncfg = g->config.keys.n;
  aero_kv *env = calloc(nenv + 1, sizeof *env);
  aero_kv *cfg = kvs_array(&g->config);
  aero_status st = AERO_OK;
  if (env == NULL || cfg == NULL || outputs.failed || g->tags.failed ||
      g->env_keys.failed || g->env_values.failed)
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  for (size_t i = 0; st == AERO_OK && i < nenv; i++)
    env[i] = (aero_kv){
        .key = g->env_keys.v[i],
        .value = {.type = AERO_VALUE_STRING, .as.s = g->env_values.v[i]}};
  int64_t run_id = 0;
  aero_run_record rec = {0};
  if (st == AERO_OK) {
    rec = (aero_run_record){.struct_size = sizeof rec,
                           .entity = g->run.entity,
                           .project = g->run.project,
                           .job_type = g->run.job_type,
                           .job_group = g->run.job_group,
                           .outputs = (const char *const *)outputs.v,
                           .output_count = outputs.n,
                           .config = cfg,
                           .config_count = ncfg,
                           .tags = (const char *const *)g->tags.v,
                           .tag_count = g->tags.n,
                           .environment = env,
                           .environment_count = nenv,
                           .dev = g->run.dev,
                           .started_ns = g->run.started_ns};
  }
  if (st == AERO_OK && reused_copy != 0 && to->vt->reuse_record != NULL) {
    int64_t *ids = NULL;
    size_t n = 0;
    st = pin_inputs(to, g, &ids, &n, err);
    if (st == AERO_OK)
      st = to->vt->reuse_record(to->handle, &rec, reused_copy, ids, n, &run_id,
                                err);
    free(ids);
    *copy_id = st == AERO_OK ? run_id : 0;
    free(env);
    free(cfg);
    strs_free(&outputs);
    return st;
  }
  if (st == AERO_OK)
    st = to->vt->run_begin(to->handle, &rec, &run_id, err);
  /* From here on the run exists in TO: whatever fails, it is ended. */
  if (st == AERO_OK) {
    aero_metric_query q = {.struct_size = sizeof q, .run_id = g->run.id};
    metrics_ctx m = {to, run_id};
    st = from->vt->query_metrics(from->handle, &q, copy_metrics, &m, err);
  }
  for (size_t i = 0; st == AERO_OK && i < g->log_lines.n; i++)
    if (to->vt->log_text != NULL)
      st = to->vt->log_text(to->handle, run_id,
                            (aero_log_level)atoi(g->log_levels.v[i]),
                            g->log_lines.v[i], err);
  if (st == AERO_OK) {
    int64_t *ids = NULL;
    size_t n = 0;
    st = pin_inputs(to, g, &ids, &n, err);
    for (size_t i = 0; st == AERO_OK && i < n; i++)
      st = to->vt->record_input(to->handle, run_id, ids[i], err);
    free(ids);
  }
  for (size_t i = 0; st == AERO_OK && i < g->output_count; i++)
    st = copy_output(from, to, run_id, &g->outputs[i], err);
  if (run_id != 0) {
    aero_run_outcome out = {.struct_size = sizeof out,
                            .state = g->run.state,
                            .exit_code = g->run.exit_code,
                            .signal = g->run.signal,
                            .message = g->run.message,
                            .ended_ns = g->run.ended_ns};
    if (st != AERO_OK) {
      out.state = AERO_RUN_FAILED;
      out.message = "the copy of this run failed";
    }
    aero_error ignored = AEH_ERROR_INIT;
    aero_status end = to->vt->run_end(to->handle, run_id, &out,
                                      st == AERO_OK ? err : &ignored);
    if (st == AERO_OK)
      st = end;
    *copy_id = run_id;
  }
  free(env);
  free(cfg);
  strs_free(&outputs);
  return st;
}

/* ---- the command ---- */

/* A finished run of FROM to copy. */
typedef struct listed {
  int64_t id;
  int64_t ended_ns;
  int64_t reused_run; /* the run a reused one stands for; else 0 */
  size_t ending;      /* its ending in list_ctx.endings */
} listed;

typedef struct list_ctx {
  listed *runs;
  size_t n, cap;
  bool failed;
  copy_keys endings; /* how each ended (add_ending) */
} list_ctx;

static aero_status list_run(void *ctx, const aero_run_info *run,
                            aero_error *err) {
  (void)err;
  if (run->state == AERO_RUN_RUNNING)
    return AERO_OK;
  list_ctx *l = ctx;
  listed *grown = aeu_grow(l->runs, &l->cap, l->n + 1, sizeof *grown, 64);
  if (grown == NULL) {
    l->failed = true;
    return AERO_OK;
  }
  l->runs = grown;
  l->runs[l->n] = (listed){
      .id = run->id,
      .ended_ns = run->ended_ns,
      .reused_run = AERO_ROW_HAS(run, aero_run_info, reused_run)
                        ? run->reused_run
                        : 0,
      .ending = l->endings.n};
  l->n++;
  add_ending(&l->endings, run);
  return AERO_OK;
}

/* The order runs ended in: where order_by_publishing leaves runs free to
 * go in any order, the one that ended first goes first. */
static int by_ending(const void *a, const void *b) {
  const listed *x = a, *y = b;
  if (x->ended_ns != y->ended_ns)
    return x->ended_ns < y->ended_ns ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* ---- the order runs are copied in ---- */

/* What a run published and read, for the order: each output version (its
 * artifact and number) and the versions it read. */
typedef struct made_version {
  int64_t version_id;
  char key[400]; /* entity/project/name */
  int64_t number;
  size_t run; /* index in the listed runs */
} made_version;

typedef struct order_edge {
  size_t from, to;
} order_edge;

typedef struct order_ctx {
  size_t run;
  bool producer; /* an OK run: its outputs are its own versions */
  made_version *made;
  size_t made_n, made_cap;
  int64_t (*reads)[2]; /* (version id, reading run) */
  size_t reads_n, reads_cap;
  bool failed;
} order_ctx;

static aero_status o_input(void *ctx, const aero_version_info *v,
                           aero_error *err);

/* A run's output: its own version (an OK run), else one it holds (a
 * reused run holds its run's versions), which must be there before it,
 * as what it read. */
static aero_status o_output(void *ctx, const aero_version_info *v,
                            aero_error *err) {
  order_ctx *o = ctx;
  if (!o->producer)
    return o_input(ctx, v, err);
  made_version *grown =
      aeu_grow(o->made, &o->made_cap, o->made_n + 1, sizeof *grown, 64);
  if (grown == NULL) {
    o->failed = true;
    return AERO_OK;
  }
  o->made = grown;
  made_version *m = &o->made[o->made_n++];
  m->version_id = v->id;
  snprintf(m->key, sizeof m->key, "%s/%s/%s", v->entity ? v->entity : "",
           v->project, v->name);
  m->number = v->version;
  m->run = o->run;
  return AERO_OK;
}

static aero_status o_input(void *ctx, const aero_version_info *v,
                           aero_error *err) {
  (void)err;
  order_ctx *o = ctx;
  int64_t(*grown)[2] =
      aeu_grow(o->reads, &o->reads_cap, o->reads_n + 1, sizeof *grown, 64);
  if (grown == NULL) {
    o->failed = true;
    return AERO_OK;
  }
  o->reads = grown;
  o->reads[o->reads_n][0] = v->id;
  o->reads[o->reads_n][1] = (int64_t)o->run;
  o->reads_n++;
  return AERO_OK;
}

static int made_by_key(const void *a, const void *b) {
  const made_version *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c != 0)
    return c;
  return x->number < y->number ? -1 : x->number > y->number;
}

static int made_by_id(const void *a, const void *b) {
  const made_version *x = a, *y = b;
  return x->version_id < y->version_id ? -1 : x->version_id > y->version_id;
}

static int edge_by_from(const void *a, const void *b) {
  const order_edge *x = a, *y = b;
  return x->from < y->from ? -1 : x->from > y->from;
}

/* Puts the runs (sorted by when they ended) in the order their versions
 * were published: the versions of one artifact by number, every run after
 * the runs that made what it read, a reused run after the run it stands
 * for; among runs free to go, the one that ended first. Ended order alone
 * is not that order: with several hosts, the run that ended first may have
 * committed (and numbered its versions) last. One query_run per run. */
static aero_status order_by_publishing(side *from, list_ctx *l,
                                       aero_error *err) {
  size_t n = l->n;
  if (n < 2)
    return AERO_OK;
  order_ctx o = {0};
  aero_run_sink sink = {.struct_size = sizeof sink,
                        .input = o_input,
                        .output = o_output};
  aero_status st = AERO_OK;
  for (size_t i = 0; st == AERO_OK && i < n; i++) {
    o.run = i;
    o.producer = l->endings.v[l->runs[i].ending].state == AERO_RUN_OK;
    st = from->vt->query_run(from->handle, l->runs[i].id, &sink, &o, err);
  }
  order_edge *edges = NULL;
  size_t en = 0, ecap = 0;
  size_t *indegree = calloc(n, sizeof *indegree);
  size_t *heap_items = malloc(n * sizeof *heap_items);
  size_t *order = malloc(n * sizeof *order);
  size_t *first_edge = calloc(n + 1, sizeof *first_edge);
  if (st == AERO_OK && (o.failed || indegree == NULL || heap_items == NULL ||
                        order == NULL || first_edge == NULL))
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
#define ADD_EDGE(a, b)                                                         \
  do {                                                                         \
    order_edge *g_ = aeu_grow(edges, &ecap, en + 1, sizeof *g_, 256);           \
    if (g_ == NULL) {                                                          \
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");                  \
      break;                                                                   \
    }                                                                          \
    edges = g_;                                                                \
    edges[en++] = (order_edge){(a), (b)};                                      \
  } while (0)
  /* One artifact's versions, by number. */
  if (st == AERO_OK)
    aeu_sort(o.made, o.made_n, sizeof *o.made, made_by_key);
  for (size_t i = 1; st == AERO_OK && i < o.made_n; i++)
    if (strcmp(o.made[i - 1].key, o.made[i].key) == 0 &&
        o.made[i - 1].run != o.made[i].run)
      ADD_EDGE(o.made[i - 1].run, o.made[i].run);
  /* What a run read (or, reused, holds), made before it: a reused run
   * after the run it stands for. */
  if (st == AERO_OK)
    aeu_sort(o.made, o.made_n, sizeof *o.made, made_by_id);
  for (size_t i = 0; st == AERO_OK && i < o.reads_n; i++) {
    made_version want = {.version_id = o.reads[i][0]};
    const made_version *m =
        o.made_n > 0 ? bsearch(&want, o.made, o.made_n, sizeof *o.made,
                               made_by_id)
                     : NULL;
    if (m != NULL && m->run != (size_t)o.reads[i][1])
      ADD_EDGE(m->run, (size_t)o.reads[i][1]);
  }
#undef ADD_EDGE
  size_t *targets = st == AERO_OK ? malloc((en + 1) * sizeof *targets) : NULL;
  if (st == AERO_OK && targets == NULL)
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (st == AERO_OK) {
    aeu_sort(edges, en, sizeof *edges, edge_by_from);
    for (size_t e = 0; e < en; e++) {
      indegree[edges[e].to]++;
      first_edge[edges[e].from + 1]++;
      targets[e] = edges[e].to;
    }
    for (size_t i = 0; i < n; i++)
      first_edge[i + 1] += first_edge[i];
    /* The runs are sorted by when they ended: the smallest index ready is
     * the one that ended first. */
    size_t done =
        aeh_kahn_order(n, indegree, first_edge, targets, heap_items, order);
    /* A cycle cannot come from one store's record; should one, the rest
     * keep the order they ended in. */
    for (size_t i = 0; done < n && i < n; i++)
      if (indegree[i] != 0)
        order[done++] = i;
    listed *sorted = malloc(n * sizeof *sorted);
    if (sorted == NULL) {
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    } else {
      for (size_t i = 0; i < n; i++)
        sorted[i] = l->runs[order[i]];
      memcpy(l->runs, sorted, n * sizeof *sorted);
      free(sorted);
    }
  }
  free(edges);
  free(targets);
  free(indegree);
  free(heap_items);
  free(order);
  free(first_edge);
  free(o.made);
  free(o.reads);
  return st;
}

/* TO's whole copy of FROM's run `id` that ended OK (the run a reused
 * run stands for), 0 for none. */
static int64_t ok_copy_of(const copy_keys *done, const char *where,
                          int64_t id) {
  char origin[4200];
  snprintf(origin, sizeof origin, "%s#%lld", where, (long long)id);
  for (size_t i = 0; i < done->n; i++)
    if (done->v[i].origin != NULL && strcmp(done->v[i].origin, origin) == 0 &&
        done->v[i].state == AERO_RUN_OK)
      return done->v[i].to_id;
  return 0;
}

/* Opens one side: `backend` as `origin` gave it (an option, or what the
 * location implies), named by a bad backend's message. */
static aero_status open_side(const char *backend, const char *origin,
                             const char *location, bool existing, side *s,
                             aero_error *err) {
  aero_status st =
      aeh_store_open_as(backend, origin, location, existing, &s->store, err);
  if (st != AERO_OK)
    return st;
  s->vt = aeh_store_backend(s->store);
  st = aeh_store_handle(s->store, &s->handle, err);
  const char *missing = s->vt->query_runs == NULL       ? "query_runs"
                        : s->vt->query_run == NULL      ? "query_run"
                        : s->vt->query_metrics == NULL  ? "query_metrics"
                        : s->vt->query_versions == NULL ? "query_versions"
                                                        : NULL;
  if (st == AERO_OK && missing != NULL)
    st = aeh_error_set(err, AERO_E_UNSUPPORTED,
                       "%s: its backend '%s' lacks the query member %s",
                       aeh_store_location(s->store), backend, missing);
  return st;
}

/* FROM and TO the same store: copying would add a second copy of every
 * run to it (each copy is a new run, and FROM's runs are not copies of
 * themselves), and again at every repeat. A folder is compared by what it
 * is (another path, a symbolic link or a bind mount to it included), a
 * URL as written. */
static aero_status check_distinct(const side *from, const side *to,
                                  aero_error *err) {
  const char *a = aeh_store_location(from->store);
  const char *b = aeh_store_location(to->store);
  bool same = strcmp(from->vt->name, to->vt->name) == 0 && strcmp(a, b) == 0;
  struct stat sa, sb;
  if (!same && strcmp(from->vt->name, "local") == 0 &&
      strcmp(to->vt->name, "local") == 0 && stat(a, &sa) == 0 &&
      stat(b, &sb) == 0)
    same = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (same)
    return aeh_error_set(err, AERO_E_INVALID,
                         "FROM and TO are the same store (%s): a copy into "
                         "itself would duplicate every run",
                         b);
  return AERO_OK;
}

static aero_status copy_all(side *from, side *to, size_t *copied,
                            size_t *skipped, aero_error *err) {
  copy_keys done = {0};
  aero_status st = already_copied(to, &done, err);
  list_ctx runs = {0};
  aero_run_filter filter = {.struct_size = sizeof filter, .oldest_first = true};
  if (st == AERO_OK)
    st = from->vt->query_runs(from->handle, &filter, list_run, &runs, err);
  if (st == AERO_OK && (runs.failed || runs.endings.failed))
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (st == AERO_OK) {
    aeu_sort(runs.runs, runs.n, sizeof *runs.runs, by_ending);
    st = order_by_publishing(from, &runs, err);
  }
  const char *where = aeh_store_location(from->store);
  for (size_t i = 0; st == AERO_OK && i < runs.n; i++) {
    const listed *r = &runs.runs[i];
    const copy_key *ending = &runs.endings.v[r->ending];
    char *origin = NULL;
    if (asprintf(&origin, "%s#%lld", where, (long long)r->id) < 0) {
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
      break;
    }
    if (keys_find(&done, origin, ending) != 0) {
      (*skipped)++;
      free(origin);
      continue;
    }
    gathered g = {0};
    aero_run_sink sink = {.struct_size = sizeof sink,
                          .run = g_run,
                          .environment = g_env,
                          .config = g_config,
                          .tag = g_tag,
                          .input = g_input,
                          .output = g_output,
                          .log_line = g_log};
    st = from->vt->query_run(from->handle, r->id, &sink, &g, err);
    int64_t reused_copy =
        r->reused_run != 0 ? ok_copy_of(&done, where, r->reused_run) : 0;
    int64_t copy_id = 0;
    if (st == AERO_OK)
      st = write_run(from, to, origin, &g, reused_copy, &copy_id, err);
    if (st == AERO_OK) {
      (*copied)++;
      /* What a later reused run of it needs. */
      keys_add(&done, origin, ending->state, ending->message, copy_id);
      if (done.failed)
        st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    }
    gathered_free(&g);
    free(origin);
  }
  free(runs.runs);
  keys_free(&runs.endings);
  keys_free(&done);
  return st;
}

static int cmd_store(const aeh_command *cmd, int argc, char **argv) {
  copy_opts o = {0};
  aeh_args a;
  int rc = aeh_command_parse(cmd, argc, argv, apply_option, &o, &a);
  if (rc >= 0)
    return rc;
  if (strcmp(a.positional[0], "copy") != 0)
    return aeh_command_usage_error(cmd, "unknown store command '%s' (use copy)",
                                   a.positional[0]);
  if (a.positional_count != 3)
    return aeh_command_usage_error(cmd, "copy needs FROM and TO");
  const char *from_loc = a.positional[1], *to_loc = a.positional[2];
  const char *from_backend =
      o.from_backend != NULL ? o.from_backend : backend_of(from_loc);
  const char *to_backend =
      o.to_backend != NULL ? o.to_backend : backend_of(to_loc);
  aero_error err = AEH_ERROR_INIT;
  side from = {0}, to = {0};
  size_t copied = 0, skipped = 0;
  aero_status st =
      open_side(from_backend,
                o.from_backend != NULL ? "--from-backend"
                                       : "the backend FROM's location implies",
                from_loc, true, &from, &err);
  if (st == AERO_OK)
    st = open_side(to_backend,
                   o.to_backend != NULL ? "--to-backend"
                                        : "the backend TO's location implies",
                   to_loc, false, &to, &err);
  if (st == AERO_OK)
    st = check_distinct(&from, &to, &err);
  if (st == AERO_OK)
    st = copy_all(&from, &to, &copied, &skipped, &err);
  if (st == AERO_OK)
    fprintf(stderr,
            "aeromancy store copy: %zu run%s copied, %zu copied before, from "
            "%s to %s\n",
            copied, copied == 1 ? "" : "s", skipped,
            aeh_store_location(from.store), aeh_store_location(to.store));
  else
    rc = aeh_read_fail(cmd, st, &err);
  aeh_store_close(to.store);
  aeh_store_close(from.store);
  return st == AERO_OK ? 0 : rc;
}

static const aeh_option store_options[] = {
    {"from-backend", 0, "NAME",
     "the backend of FROM (default: postgres for a postgresql:// URL or "
     "key=value words, else local)",
     O_FROM_BACKEND},
    {"to-backend", 0, "NAME", "the backend of TO (default: as for FROM)",
     O_TO_BACKEND},
    {NULL, 0, NULL, NULL, 0},
};

const aeh_command aeh_cmd_store = {
    .name = "store",
    .usage = "aeromancy store copy [--from-backend NAME] [--to-backend NAME] "
             "FROM TO",
    .summary = "copy a store's history into another store",
    .description =
        "Copies every finished run of FROM, oldest first, into TO (created "
        "if needed): its record, metrics, log lines, inputs and outputs, "
        "whose files TO stores and dedupes as for any run. FROM and TO are "
        "store locations: a folder (the local store) or a PostgreSQL "
        "connection string (the team store), two different stores. "
        "Idempotent: runs copied before are skipped, so a copy can be "
        "repeated or resumed.",
    .options = store_options,
    .min_positional = 1,
    .max_positional = 3,
    .run = cmd_store,
};
