/* Two builders, for --builder: "alpha" (INT count) and "beta" (STRING
 * label). Each names its one output after its value. */
#include <aeromancy/aeromancy.h>

#include <stdio.h>
#include <stdlib.h>

static aero_status two_nothing(void *data, aero_tracker *tracker,
                               aero_error *err) {
  (void)data, (void)tracker, (void)err;
  return AERO_OK;
}

static aero_status add_one(aero_graph *graph, const char *job_type,
                           const char *output, aero_error *err) {
  const char *outputs[] = {output};
  return aero_graph_add(graph,
                        &AERO_ACTION(.job_type = job_type, .outputs = outputs,
                                     .output_count = 1, .run = two_nothing),
                        err);
}

#define ALPHA_OPTIONS(X) X(INT, count, 'c', 1, "How many")
/* note's default is 200 bytes: describe gives it whole (test_cli.sh). */
#define LONG_NOTE                                                              \
  "n123456789n123456789n123456789n123456789n123456789n123456789n123456789"     \
  "n123456789n123456789n123456789n123456789n123456789n123456789n123456789"     \
  "n123456789n123456789n123456789n123456789n123456789n123456end"
#define BETA_OPTIONS(X)                                                        \
  X(STRING, label, 0, "b", "What to call it")                                  \
  X(STRING, note, 0, LONG_NOTE, "A note with a long default")

static aero_status alpha_new(void **self, int64_t count, aero_error *err) {
  char *name = malloc(64);
  if (name == NULL)
    return aero_fail(err, AERO_E_NOMEM, "out of memory");
  snprintf(name, 64, "alpha-%lld", (long long)count);
  *self = name;
  return AERO_OK;
}
static aero_status beta_new(void **self, const char *label, const char *note,
                            aero_error *err) {
  (void)note;
  char *name = malloc(128);
  if (name == NULL)
    return aero_fail(err, AERO_E_NOMEM, "out of memory");
  snprintf(name, 128, "beta-%s", label ? label : "none");
  *self = name;
  return AERO_OK;
}
static aero_status alpha_build(void *self, aero_graph *graph, aero_error *err) {
  return add_one(graph, "alpha", self, err);
}
static aero_status beta_build(void *self, aero_graph *graph, aero_error *err) {
  return add_one(graph, "beta", self, err);
}

AERO_BUILDER(alpha, "alpha", "The first builder", ALPHA_OPTIONS, alpha_new,
             alpha_build, free);
AERO_BUILDER(beta, "beta", "The second builder", BETA_OPTIONS, beta_new,
             beta_build, free);

static aero_status two_init(aero_registrar *reg, aero_error *err) {
  aero_status rc = aero_register_builder(reg, &alpha, err);
  return rc ? rc : aero_register_builder(reg, &beta, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "ldr_two", "2.0", two_init)
