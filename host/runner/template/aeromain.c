/* @NAME@: the project's plugin. It declares the project's typed flags, the
 * constructor aerohost calls with their values, and two actions:
 *
 *   prepare -> samples   writes a small data set
 *   fit     -> model     reads it, fits its mean by gradient descent, logs
 *                        the loss every epoch and writes the model
 *
 * Build and run: see README.md. Each action runs in its own process, in a
 * tracker that records its config, metrics, inputs and outputs.
 */
/* Plugins compile as C11 (-std=c11): POSIX calls (strdup, clock_gettime...)
 * need this before the first include. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aeromancy/aeromancy.h>

/* The project's flags: X(TYPE, name, short letter or 0, default, help).
 * `learning_rate` reads --learning-rate (or -l) on the command line; the
 * [flags] section of aeromancy.ini may set other defaults. */
#define OPTIONS(X)                                                             \
  X(DOUBLE, learning_rate, 'l', 0.1, "Step size of gradient descent")          \
  X(INT, epochs, 0, 20, "Passes over the samples")                             \
  X(BOOL, verbose, 0, false, "Log every epoch's estimate")

enum { SAMPLES = 100 };

typedef struct settings {
  double learning_rate;
  int64_t epochs;
  bool verbose;
} settings;

/* The scratch folder's `name` into `buf`. */
static aero_status work_path(aero_tracker *t, const char *name, char *buf,
                             size_t size, aero_error *err) {
  int n = snprintf(buf, size, "%s/%s", aero_workdir(t), name);
  if (n < 0 || (size_t)n >= size)
    return aero_fail(err, AERO_E_INVALID, "path too long: %s", name);
  return AERO_OK;
}

/* prepare: SAMPLES numbers around 3.0, one per line, as "samples". */
static aero_status prepare(void *data, aero_tracker *t, aero_error *err) {
  (void)data;
  char path[4096];
  aero_status st = work_path(t, "samples.txt", path, sizeof path, err);
  if (st != AERO_OK)
    return st;
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot create %s: %s", path,
                     strerror(errno));
  for (int i = 0; i < SAMPLES; i++)
    fprintf(f, "%.3f\n", 3.0 + 0.5 * sin(i)); /* deterministic */
  if (ferror(f) | fclose(f))
    return aero_fail(err, AERO_E_IO, "cannot write %s", path);
  const char *files[] = {path};
  return aero_declare_output(t,
                             &AERO_OUTPUT(.name = "samples", .files = files,
                                          .file_count = 1,
                                          .artifact_type = "dataset"),
                             err);
}

/* fit: the mean of the samples by gradient descent on the squared error. */
static aero_status fit(void *data, aero_tracker *t, aero_error *err) {
  const settings *s = data;
  aero_input in;
  if (aero_declare_input(t, "samples", &in, err) != AERO_OK)
    return AERO_E_ACTION; /* err already says why */
  FILE *f = fopen(in.paths[0], "r");
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot open %s", in.paths[0]);
  double x[SAMPLES];
  int n = 0;
  while (n < SAMPLES && fscanf(f, "%lf", &x[n]) == 1)
    n++;
  fclose(f);
  if (n == 0)
    return aero_fail(err, AERO_E_INVALID, "%s: no samples", in.paths[0]);

  double mean = 0;
  for (int64_t epoch = 0; epoch < s->epochs; epoch++) {
    double grad = 0, loss = 0;
    for (int i = 0; i < n; i++) {
      grad += 2 * (mean - x[i]) / n;
      loss += (mean - x[i]) * (mean - x[i]) / n;
    }
    mean -= s->learning_rate * grad;
    if (aero_log_metric(t, "loss", loss, epoch, err) != AERO_OK)
      return AERO_E_ACTION;
    if (s->verbose)
      aero_logf(t, AERO_LOG_INFO, "epoch %lld: mean %.4f",
                (long long)epoch, mean);
  }

  char path[4096];
  aero_status st = work_path(t, "model.txt", path, sizeof path, err);
  if (st != AERO_OK)
    return st;
  f = fopen(path, "w");
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot create %s", path);
  fprintf(f, "mean %.6f\n", mean);
  if (ferror(f) | fclose(f))
    return aero_fail(err, AERO_E_IO, "cannot write %s", path);
  aero_logf(t, AERO_LOG_INFO, "fitted mean %.4f", mean);
  const char *files[] = {path};
  return aero_declare_output(t,
                             &AERO_OUTPUT(.name = "model", .files = files,
                                          .file_count = 1,
                                          .artifact_type = "model"),
                             err);
}

/* aerohost calls this with one C parameter per flag, in order. */
static aero_status project_new(void **self, double learning_rate,
                               int64_t epochs, bool verbose, aero_error *err) {
  if (!(learning_rate > 0 && learning_rate < 1))
    return aero_fail(err, AERO_E_INVALID,
                     "--learning-rate must be in (0, 1), got %g",
                     learning_rate);
  if (epochs < 1)
    return aero_fail(err, AERO_E_INVALID, "--epochs must be >= 1, got %lld",
                     (long long)epochs);
  settings *s = malloc(sizeof *s);
  if (s == NULL)
    return aero_fail(err, AERO_E_NOMEM, "out of memory");
  *s = (settings){learning_rate, epochs, verbose};
  *self = s;
  return AERO_OK;
}

static void project_destroy(void *self) { free(self); }

/* The graph: parents are named by their output; each action's config is
 * recorded with its runs. */
static aero_status project_build(void *self, aero_graph *graph,
                                 aero_error *err) {
  settings *s = self;
  static const char *const samples[] = {"samples"};
  static const char *const model[] = {"model"};
  aero_status st = aero_graph_add(
      graph,
      &AERO_ACTION(.job_type = "prepare", .outputs = samples,
                   .output_count = 1, .run = prepare, .data = s),
      err);
  if (st != AERO_OK)
    return st;
  /* Every flag fit reads: a flag missing here would not rerun it. */
  const aero_kv config[] = {AERO_KV_DOUBLE("learning_rate", s->learning_rate),
                            AERO_KV_INT("epochs", s->epochs),
                            AERO_KV_BOOL("verbose", s->verbose)};
  return aero_graph_add(
      graph,
      &AERO_ACTION(.job_type = "fit", .outputs = model, .output_count = 1,
                   .parents = samples, .parent_count = 1, .config = config,
                   .config_count = AERO_COUNT(config), .run = fit, .data = s),
      err);
}

/* A compile error if project_new's parameters do not match OPTIONS. */
AERO_BUILDER(builder, "@NAME@", "Prepare samples, fit their mean", OPTIONS,
             project_new, project_build, project_destroy);

static aero_status init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &builder, err);
}

/* The plugin's one exported symbol. */
AERO_PLUGIN(AERO_PLUGIN_PROJECT, "@NAME@", "0.1.0", init)
