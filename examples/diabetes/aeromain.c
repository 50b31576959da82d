/* diabetes: a linear regression on a real data set. ingest splits
 * scikit-learn's diabetes data (from Debian's python3-sklearn, see
 * fetch-data.sh) into train and test rows, fit learns the coefficients by
 * gradient descent or the normal equations while logging both losses per
 * epoch, and evaluate reports R^2.
 */
#define _XOPEN_SOURCE 700 /* realpath, strdup under -std=c11 */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <aeromancy/aeromancy.h>

#include "actions.h"

#define DIABETES_OPTIONS(X)                                                    \
  X(STRING, data_dir, 'd', NULL,                                               \
    "Folder with diabetes_data_raw.csv.gz and diabetes_target.csv.gz "         \
    "(fetch-data.sh fills it); default: the installed python3-sklearn's")      \
  X(INT, seed, 0, 42, "Seed of the train/test split")                          \
  X(INT, test_percent, 0, 20, "Share of the rows held out for testing")        \
  X(CHOICE, solver, 0, ("gd", "normal"),                                       \
    "gd: gradient descent, one step per epoch; normal: the normal equations")  \
  X(DOUBLE, learning_rate, 'l', 0.1, "Gradient descent step size")             \
  X(INT, epochs, 'e', 500, "Gradient descent epochs")                          \
  X(DOUBLE, l2, 0, 0.0, "Ridge penalty on the standardised weights")

static aero_status diabetes_new(void **self, const char *data_dir, int64_t seed,
                                int64_t test_percent, const char *solver,
                                double learning_rate, int64_t epochs, double l2,
                                aero_error *err) {
  if (test_percent < 1 || test_percent > 90)
    return aero_fail(err, AERO_E_INVALID,
                     "--test-percent must be between 1 and 90, got %lld",
                     (long long)test_percent);
  if (!(learning_rate > 0 && isfinite(learning_rate)))
    return aero_fail(err, AERO_E_INVALID,
                     "--learning-rate must be a positive number, got %g",
                     learning_rate);
  if (epochs < 1 || epochs > 1000000)
    return aero_fail(err, AERO_E_INVALID,
                     "--epochs must be between 1 and 1000000, got %lld",
                     (long long)epochs);
  if (!(l2 >= 0 && isfinite(l2)))
    return aero_fail(err, AERO_E_INVALID,
                     "--l2 must be a non-negative number, got %g", l2);

  /* Absolute now, while the current folder is the one the user ran in:
   * actions run in other processes, and the path is recorded in config. */
  const char *dir = data_dir ? data_dir : DIABETES_SYSTEM_DATA;
  char resolved[PATH_MAX];
  if (!realpath(dir, resolved))
    return aero_fail(err, AERO_E_NOT_FOUND,
                     "--data-dir %s: %s (fill it with "
                     "examples/diabetes/fetch-data.sh %s)",
                     dir, strerror(errno), dir);

  diabetes_settings *s = calloc(1, sizeof *s);
  char *dir_copy = strdup(resolved);
  if (!s || !dir_copy) {
    free(dir_copy);
    free(s);
    return aero_fail(err, AERO_E_NOMEM, "out of memory");
  }
  s->data_dir = dir_copy;
  s->seed = seed;
  s->test_percent = test_percent;
  s->normal = strcmp(solver, "normal") == 0;
  s->learning_rate = learning_rate;
  s->epochs = epochs;
  s->l2 = l2;
  *self = s;
  return AERO_OK;
}

static void diabetes_destroy(void *self) {
  diabetes_settings *s = self;
  if (s)
    free(s->data_dir);
  free(s);
}

static aero_status diabetes_build(void *self, aero_graph *graph,
                                  aero_error *err) {
  diabetes_settings *s = self;

  static const char *const data[] = {"diabetes-data"};
  const aero_kv ingest_config[] = {
      AERO_KV_STRING("data_dir", s->data_dir), AERO_KV_INT("seed", s->seed),
      AERO_KV_INT("test_percent", s->test_percent)};
  aero_status st = aero_graph_add(
      graph,
      &AERO_ACTION(.job_type = "ingest", .job_group = "data", .outputs = data,
                   .output_count = 1, .config = ingest_config,
                   .config_count = AERO_COUNT(ingest_config),
                   .run = diabetes_ingest, .data = s),
      err);
  if (st != AERO_OK)
    return st;

  static const char *const model[] = {"diabetes-model"};
  const aero_kv fit_config[] = {
      AERO_KV_STRING("solver", s->normal ? "normal" : "gd"),
      AERO_KV_DOUBLE("learning_rate", s->learning_rate),
      AERO_KV_INT("epochs", s->epochs), AERO_KV_DOUBLE("l2", s->l2)};
  st = aero_graph_add(
      graph,
      &AERO_ACTION(.job_type = "fit", .job_group = "model", .outputs = model,
                   .output_count = 1, .parents = data, .parent_count = 1,
                   .config = fit_config, .config_count = AERO_COUNT(fit_config),
                   .run = diabetes_fit, .data = s),
      err);
  if (st != AERO_OK)
    return st;

  static const char *const report[] = {"diabetes-report"};
  static const char *const evaluate_parents[] = {"diabetes-model",
                                                 "diabetes-data"};
  return aero_graph_add(
      graph,
      &AERO_ACTION(.job_type = "evaluate", .job_group = "model",
                   .outputs = report, .output_count = 1,
                   .parents = evaluate_parents,
                   .parent_count = AERO_COUNT(evaluate_parents),
                   .run = diabetes_evaluate, .data = s),
      err);
}

AERO_BUILDER(diabetes_builder, "diabetes",
             "Linear regression on scikit-learn's diabetes data set",
             DIABETES_OPTIONS, diabetes_new, diabetes_build, diabetes_destroy);

static aero_status diabetes_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &diabetes_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "diabetes", "1.0.0", diabetes_init)
