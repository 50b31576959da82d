/* Fixture for the tracking tests: ingest -> raw, train(raw) -> model,
 * evaluate(model) -> report. Every action works through the tracker:
 * inputs, outputs, metrics with and without steps, text logs.
 *
 * Flags steer what the tests need: --content (what ingest writes, so that
 * tests make distinct versions), --out-name (the name ingest declares, to
 * try a bad one), --steps (train's metric steps), --sleep-ms (ingest
 * sleeps before declaring, to be killed meanwhile), --extra-input (a name
 * evaluate declares as an input besides its parent's output),
 * --metric-key (a key train logs one point of besides loss: the web page's
 * tests give it one longer than its API takes). */
#include <aeromancy/aeromancy.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRK_OPTIONS(X)                                                         \
  X(STRING, content, 0, "hello", "What ingest writes into raw")                \
  X(STRING, out_name, 0, "raw", "The name ingest declares its output as")      \
  X(INT, steps, 0, 3, "Metric steps train logs")                               \
  X(INT, sleep_ms, 0, 0, "How long ingest sleeps before declaring")            \
  X(STRING, extra_input, 0, NULL, "Another input evaluate reads")              \
  X(STRING, metric_key, 0, NULL, "Another metric key train logs")            \
  X(DOUBLE, metric_value, 0, 0.5,                                              \
    "Its value at step 0 (half of it at step 1, with --metric-points 2)")      \
  X(INT, metric_points, 0, 1, "Points of --metric-key, 1 or 2")

typedef struct trk {
  char content[8192]; /* up to 8 KiB: test_inline_blobs.sh writes 4097 bytes */
  char out_name[256];
  char extra_input[256];
  char metric_key[1024];
  double metric_value;
  int64_t metric_points;
  int64_t steps;
  int64_t sleep_ms;
} trk;

static aero_status trk_new(void **self, const char *content,
                           const char *out_name, int64_t steps,
                           int64_t sleep_ms, const char *extra_input,
                           const char *metric_key, double metric_value,
                           int64_t metric_points, aero_error *err) {
  trk *t = calloc(1, sizeof *t);
  if (t == NULL)
    return aero_fail(err, AERO_E_NOMEM, "trk: out of memory");
  snprintf(t->content, sizeof t->content, "%s", content ? content : "");
  snprintf(t->out_name, sizeof t->out_name, "%s", out_name ? out_name : "");
  snprintf(t->extra_input, sizeof t->extra_input, "%s",
           extra_input ? extra_input : "");
  snprintf(t->metric_key, sizeof t->metric_key, "%s",
           metric_key ? metric_key : "");
  t->metric_value = metric_value;
  t->metric_points = metric_points;
  t->steps = steps;
  t->sleep_ms = sleep_ms;
  *self = t;
  return AERO_OK;
}

static aero_status write_text(aero_tracker *tracker, const char *name,
                              const char *text, char *path, size_t size,
                              aero_error *err) {
  snprintf(path, size, "%s/%s", aero_workdir(tracker), name);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot create %s: %s", path,
                     strerror(errno));
  fputs(text, f);
  if (fclose(f) != 0)
    return aero_fail(err, AERO_E_IO, "cannot write %s", path);
  return AERO_OK;
}

static aero_status read_first(const aero_input *in, char *buf, size_t size,
                              aero_error *err) {
  if (in->path_count == 0)
    return aero_fail(err, AERO_E_INVALID, "%s has no files", in->artifact);
  FILE *f = fopen(in->paths[0], "r");
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot read %s", in->paths[0]);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
  return AERO_OK;
}

static aero_status ingest(void *data, aero_tracker *tracker, aero_error *err) {
  trk *t = data;
  if (t->sleep_ms > 0) {
    struct timespec ts = {t->sleep_ms / 1000, (t->sleep_ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
  }
  char path[4096];
  aero_status st =
      write_text(tracker, "raw.txt", t->content, path, sizeof path, err);
  if (st != AERO_OK)
    return st;
  const char *files[] = {path};
  aero_kv meta[] = {AERO_KV_INT("bytes", (int64_t)strlen(t->content))};
  st = aero_declare_output(tracker,
                           &AERO_OUTPUT(.name = t->out_name, .files = files,
                                        .file_count = 1,
                                        .artifact_type = "dataset",
                                        .metadata = meta, .metadata_count = 1),
                           err);
  if (st != AERO_OK)
    return st;
  return aero_log_metric(tracker, "bytes", (double)strlen(t->content),
                         AERO_NO_STEP, err);
}

static aero_status train(void *data, aero_tracker *tracker, aero_error *err) {
  trk *t = data;
  aero_input raw;
  aero_status st = aero_declare_input(tracker, "raw", &raw, err);
  if (st != AERO_OK)
    return st;
  char text[256], model[512], path[4096];
  st = read_first(&raw, text, sizeof text, err);
  if (st != AERO_OK)
    return st;
  for (int64_t step = 0; step < t->steps; step++) {
    st = aero_log_metric(tracker, "loss", 1.0 / (double)(step + 1), step, err);
    if (st != AERO_OK)
      return st;
  }
  if (t->metric_key[0] != '\0') {
    st = aero_log_metric(tracker, t->metric_key, t->metric_value, 0, err);
    if (st == AERO_OK && t->metric_points > 1)
      st = aero_log_metric(tracker, t->metric_key, t->metric_value / 2, 1, err);
    if (st != AERO_OK)
      return st;
  }
  snprintf(model, sizeof model, "model of %s (from %s)", text, raw.artifact);
  st = write_text(tracker, "model.txt", model, path, sizeof path, err);
  if (st != AERO_OK)
    return st;
  aero_logf(tracker, AERO_LOG_INFO, "trained on %s", raw.artifact);
  const char *files[] = {path};
  return aero_declare_output(tracker,
                             &AERO_OUTPUT(.name = "model", .files = files,
                                          .file_count = 1,
                                          .artifact_type = "model"),
                             err);
}

static aero_status evaluate(void *data, aero_tracker *tracker,
                            aero_error *err) {
  trk *t = data;
  aero_input model;
  aero_status st = aero_declare_input(tracker, "model", &model, err);
  if (st != AERO_OK)
    return st;
  if (t->extra_input[0] != '\0') {
    aero_input extra;
    st = aero_declare_input(tracker, t->extra_input, &extra, err);
    if (st != AERO_OK)
      return st;
  }
  char text[512], path[4096];
  st = read_first(&model, text, sizeof text, err);
  if (st == AERO_OK)
    st = write_text(tracker, "report.txt", text, path, sizeof path, err);
  if (st != AERO_OK)
    return st;
  const char *files[] = {path};
  st = aero_declare_output(
      tracker, &AERO_OUTPUT(.name = "report", .files = files, .file_count = 1),
      err);
  if (st != AERO_OK)
    return st;
  aero_metric m[] = {{"r2", 0.5}, {"rmse", 0.25}};
  return aero_log_metrics(tracker, m, 2, AERO_NO_STEP, err);
}

static aero_status trk_build(void *self, aero_graph *graph, aero_error *err) {
  trk *t = self;
  const char *raw[] = {"raw"}, *model[] = {"model"}, *report[] = {"report"};
  aero_kv ingest_config[] = {AERO_KV_STRING("content", t->content)};
  aero_kv train_config[] = {AERO_KV_INT("steps", t->steps),
                            AERO_KV_DOUBLE("learning_rate", 0.25),
                            AERO_KV_BOOL("shuffle", true)};
  aero_status st = aero_graph_add(
      graph,
      &AERO_ACTION(.job_type = "ingest", .job_group = "data", .outputs = raw,
                   .output_count = 1, .config = ingest_config,
                   .config_count = 1, .run = ingest, .data = t),
      err);
  if (st == AERO_OK)
    st = aero_graph_add(graph,
                        &AERO_ACTION(.job_type = "train", .outputs = model,
                                     .output_count = 1, .parents = raw,
                                     .parent_count = 1, .config = train_config,
                                     .config_count = AERO_COUNT(train_config),
                                     .run = train, .data = t),
                        err);
  if (st == AERO_OK)
    st = aero_graph_add(graph,
                        &AERO_ACTION(.job_type = "evaluate", .outputs = report,
                                     .output_count = 1, .parents = model,
                                     .parent_count = 1, .run = evaluate,
                                     .data = t),
                        err);
  return st;
}

static void trk_destroy(void *self) {
  free(self);
}

AERO_BUILDER(trk_builder, "trk", "Fixture: tracked pipeline", TRK_OPTIONS,
             trk_new, trk_build, trk_destroy);

static aero_status trk_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &trk_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "trk_pipeline", "1.0.0", trk_init)
