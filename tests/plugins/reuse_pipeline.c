/* Reuse fixture, for tests/cli/test_reuse.sh:
 *
 *   [source] raw -> [train] model -> [report] report
 *
 * Every flag an action reads is in its config. source writes "raw SEED";
 * train writes "model of <raw> x SCALE"; report copies the model. With
 * `--volatile-source` source is volatile (never reused); `--train-version
 * V` gives train a code_version, so that a rebuilt plugin does not rerun
 * it. `--also-read REF` makes report also read artifact REF, which no
 * parent of it makes (in its config, as every flag it reads). */
#include <aeromancy/aeromancy.h>

#include <stdio.h>
#include <string.h>

#define REUSE_OPTIONS(X)                                                       \
  X(INT, seed, 0, 1, "What source writes")                                     \
  X(INT, scale, 0, 1, "What train multiplies by")                              \
  X(BOOL, volatile_source, 0, false, "source is volatile")                     \
  X(STRING, train_version, 0, NULL, "train's code_version")                   \
  X(STRING, also_read, 0, NULL, "An artifact report also reads")

typedef struct settings {
  int64_t seed;
  int64_t scale;
  bool volatile_source;
  char train_version[64];
  char also_read[256];
} settings;

static settings config; /* one builder per process */

static aero_status reuse_new(void **self, int64_t seed, int64_t scale,
                             bool volatile_source, const char *train_version,
                             const char *also_read, aero_error *err) {
  (void)err;
  config.seed = seed;
  config.scale = scale;
  config.volatile_source = volatile_source;
  snprintf(config.train_version, sizeof config.train_version, "%s",
           train_version != NULL ? train_version : "");
  snprintf(config.also_read, sizeof config.also_read, "%s",
           also_read != NULL ? also_read : "");
  *self = &config;
  return AERO_OK;
}

static aero_status put(aero_tracker *tracker, const char *name,
                       const char *text, aero_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.txt", aero_workdir(tracker), name);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot create %s", path);
  fputs(text, f);
  if (fclose(f) != 0)
    return aero_fail(err, AERO_E_IO, "cannot write %s", path);
  const char *files[] = {path};
  return aero_declare_output(
      tracker, &AERO_OUTPUT(.name = name, .files = files, .file_count = 1),
      err);
}

static aero_status get(aero_tracker *tracker, const char *name, char *buf,
                       size_t size, aero_error *err) {
  aero_input in;
  aero_status st = aero_declare_input(tracker, name, &in, err);
  if (st != AERO_OK)
    return st;
  FILE *f = in.path_count > 0 ? fopen(in.paths[0], "r") : NULL;
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot read %s", name);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
  return AERO_OK;
}

static aero_status source(void *data, aero_tracker *tracker, aero_error *err) {
  (void)data;
  char text[64];
  snprintf(text, sizeof text, "raw %lld", (long long)config.seed);
  return put(tracker, "raw", text, err);
}

static aero_status train(void *data, aero_tracker *tracker, aero_error *err) {
  (void)data;
  char raw[128], text[256];
  aero_status st = get(tracker, "raw", raw, sizeof raw, err);
  if (st != AERO_OK)
    return st;
  snprintf(text, sizeof text, "model of %s x %lld", raw,
           (long long)config.scale);
  return put(tracker, "model", text, err);
}

static aero_status report(void *data, aero_tracker *tracker, aero_error *err) {
  (void)data;
  char model[256];
  aero_status st = get(tracker, "model", model, sizeof model, err);
  char extra[128] = "";
  if (st == AERO_OK && config.also_read[0])
    st = get(tracker, config.also_read, extra, sizeof extra, err);
  char text[512];
  snprintf(text, sizeof text, "%s%s%s", model, extra[0] ? " and " : "", extra);
  return st == AERO_OK ? put(tracker, "report", text, err) : st;
}

static aero_status reuse_build(void *self, aero_graph *graph, aero_error *err) {
  (void)self;
  const char *raw[] = {"raw"}, *model[] = {"model"}, *rep[] = {"report"};
  aero_kv seed[] = {AERO_KV_INT("seed", config.seed)};
  aero_kv scale[] = {AERO_KV_INT("scale", config.scale)};
  aero_kv also[] = {AERO_KV_STRING("also_read", config.also_read)};
  aero_status st = aero_graph_add(
      graph,
      &AERO_ACTION(.job_type = "source", .outputs = raw, .output_count = 1,
                   .config = seed, .config_count = 1, .run = source,
                   .is_volatile = config.volatile_source),
      err);
  if (st == AERO_OK)
    st = aero_graph_add(
        graph,
        &AERO_ACTION(.job_type = "train", .outputs = model, .output_count = 1,
                     .parents = raw, .parent_count = 1, .config = scale,
                     .config_count = 1, .run = train,
                     .code_version =
                         config.train_version[0] ? config.train_version : NULL),
        err);
  if (st == AERO_OK)
    st = aero_graph_add(graph,
                        &AERO_ACTION(.job_type = "report", .outputs = rep,
                                     .output_count = 1, .parents = model,
                                     .parent_count = 1, .config = also,
                                     .config_count = config.also_read[0] ? 1 : 0,
                                     .run = report),
                        err);
  return st;
}

AERO_BUILDER(reuse_builder, "reusedemo", "Reuse fixture: source, train, report",
             REUSE_OPTIONS, reuse_new, reuse_build, NULL);

static aero_status reuse_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &reuse_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "reuse_pipeline", "1", reuse_init)
