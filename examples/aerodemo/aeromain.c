/* aerodemo: the project's entry point. It declares the project's flags, the
 * constructor aerohost calls with their parsed values, and the action graph
 * (ingest -> train -> evaluate). The actions themselves are in actions.c.
 */
#define _POSIX_C_SOURCE 200809L /* strdup under -std=c11 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <aeromancy/aeromancy.h>

#include "actions.h"

/* The project's flags: X(TYPE, name, short letter or 0, default, help).
 * On the command line, `learning_rate` reads `--learning-rate` (or `-l`);
 * the [flags] section of aeromancy.ini may override the defaults. */
#define DEMO_OPTIONS(X)                                                        \
  X(DOUBLE, learning_rate, 'l', 0.05, "Step size of gradient descent")         \
  X(INT, epochs, 0, 40, "Passes over the training rows")                       \
  X(CHOICE, loss, 0, ("mse", "mae"), "Loss to minimise")                       \
  X(BOOL, shuffle, 0, true, "Reorder the training rows every epoch")           \
  X(STRING, notes, 0, NULL, "Free text recorded with the train run")

/* aerohost calls this with one C parameter per option, in order; the
 * strings are borrowed for the call, so the ones we keep are copied. */
static aero_status demo_new(void **self, double learning_rate, int64_t epochs,
                            const char *loss, bool shuffle, const char *notes,
                            aero_error *err) {
  if (!(learning_rate > 0 && isfinite(learning_rate)))
    return aero_fail(err, AERO_E_INVALID,
                     "--learning-rate must be a positive number, got %g",
                     learning_rate);
  if (epochs < 1 || epochs > 1000000)
    return aero_fail(err, AERO_E_INVALID,
                     "--epochs must be between 1 and 1000000, got %lld",
                     (long long)epochs);
  demo_settings *s = calloc(1, sizeof *s);
  char *notes_copy = strdup(notes ? notes : "");
  if (!s || !notes_copy) {
    free(notes_copy);
    free(s);
    return aero_fail(err, AERO_E_NOMEM, "out of memory");
  }
  s->learning_rate = learning_rate;
  s->epochs = epochs;
  s->mae = strcmp(loss, "mae") == 0; /* the host accepts only the choices */
  s->shuffle = shuffle;
  s->notes = notes_copy;
  *self = s;
  return AERO_OK;
}

static void demo_destroy(void *self) {
  demo_settings *s = self;
  if (s)
    free(s->notes);
  free(s);
}

/* Adds the three actions. Parents are named by their output artifact; each
 * action's config is recorded with every run of it. Every array here is
 * copied by aero_graph_add, so stack arrays are fine. */
static aero_status demo_build(void *self, aero_graph *graph, aero_error *err) {
  demo_settings *s = self;

  static const char *const dataset[] = {"dataset"};
  const aero_kv ingest_config[] = {AERO_KV_INT("rows", DEMO_ROWS),
                                   AERO_KV_INT("test_rows", DEMO_TEST_ROWS),
                                   AERO_KV_INT("seed", DEMO_SEED)};
  aero_status st =
      aero_graph_add(graph,
                     &AERO_ACTION(.job_type = "ingest", .job_group = "data",
                                  .outputs = dataset, .output_count = 1,
                                  .config = ingest_config,
                                  .config_count = AERO_COUNT(ingest_config),
                                  .run = demo_ingest, .data = s),
                     err);
  if (st != AERO_OK)
    return st;

  static const char *const model[] = {"model"};
  const aero_kv train_config[] = {
      AERO_KV_DOUBLE("learning_rate", s->learning_rate),
      AERO_KV_INT("epochs", s->epochs),
      AERO_KV_STRING("loss", s->mae ? "mae" : "mse"),
      AERO_KV_BOOL("shuffle", s->shuffle), AERO_KV_STRING("notes", s->notes)};
  st = aero_graph_add(graph,
                      &AERO_ACTION(.job_type = "train", .job_group = "model",
                                   .outputs = model, .output_count = 1,
                                   .parents = dataset, .parent_count = 1,
                                   .config = train_config,
                                   .config_count = AERO_COUNT(train_config),
                                   .run = demo_train, .data = s),
                      err);
  if (st != AERO_OK)
    return st;

  static const char *const report[] = {"report"};
  static const char *const evaluate_parents[] = {"model", "dataset"};
  const aero_kv evaluate_config[] = {AERO_KV_STRING("split", "test")};
  return aero_graph_add(
      graph,
      &AERO_ACTION(.job_type = "evaluate", .job_group = "model",
                   .outputs = report, .output_count = 1,
                   .parents = evaluate_parents,
                   .parent_count = AERO_COUNT(evaluate_parents),
                   .config = evaluate_config,
                   .config_count = AERO_COUNT(evaluate_config),
                   .run = demo_evaluate, .data = s),
      err);
}

/* Fails to compile if demo_new's parameters do not match DEMO_OPTIONS. */
AERO_BUILDER(demo_builder, "aerodemo", "Ingest, train, evaluate", DEMO_OPTIONS,
             demo_new, demo_build, demo_destroy);

static aero_status demo_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &demo_builder, err);
}

/* The plugin's one exported symbol. */
AERO_PLUGIN(AERO_PLUGIN_PROJECT, "aerodemo", "1.0.0", demo_init)
