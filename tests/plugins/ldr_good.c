/* A well-formed project plugin with an option of every type. build_actions
 * writes the values its constructor received into its actions' output
 * names, "<option>.<value>", so that `aerohost list` shows exactly what
 * reached the constructor through libffi. Every byte outside [A-Za-z0-9.-]
 * of a value is written as _XX (hex); a NULL string as "_null". A last
 * action, "summary", has every other action as its parent. */
#include <aeromancy/aeromancy.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOOD_OPTIONS(X)                                                        \
  X(DOUBLE, learning_rate, 'l', 0.01, "Step size of the optimiser")            \
  X(INT, epochs, 'e', 10, "Passes over the data")                              \
  X(CHOICE, loss, 0, ("mse", "mae", "huber"), "Loss to minimise")              \
  X(BOOL, shuffle, 's', true, "Shuffle between epochs")                        \
  X(STRING, notes, 0, NULL, "Free text recorded with the runs")                \
  X(BOOL, verbose, 0, false, "Say more")

#define OPTION_COUNT 6
#define NAME_MAX_LEN 512

typedef struct good {
  char outputs[OPTION_COUNT][NAME_MAX_LEN];
  double learning_rate;
  int64_t epochs;
} good;

static const char *const option_names[OPTION_COUNT] = {
    "learning_rate", "epochs", "loss", "shuffle", "notes", "verbose"};

static void encode(char *out, size_t size, const char *name,
                   const char *value) {
  size_t n = (size_t)snprintf(out, size, "%s.", name);
  if (value == NULL) {
    snprintf(out + n, size - n, "_null");
    return;
  }
  for (const unsigned char *p = (const unsigned char *)value;
       *p != '\0' && n + 4 < size; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
        (*p >= '0' && *p <= '9') || *p == '.' || *p == '-')
      out[n++] = (char)*p;
    else
      n += (size_t)snprintf(out + n, size - n, "_%02x", *p);
  }
  out[n] = '\0';
}

static void shortest(char *buf, size_t size, double d) {
  for (int precision = 1; precision <= 17; precision++) {
    snprintf(buf, size, "%.*g", precision, d);
    if (strtod(buf, NULL) == d)
      return;
  }
}

static aero_status good_new(void **self, double learning_rate, int64_t epochs,
                            const char *loss, bool shuffle, const char *notes,
                            bool verbose, aero_error *err) {
  good *g = calloc(1, sizeof *g);
  if (g == NULL)
    return aero_fail(err, AERO_E_NOMEM, "ldr_good: out of memory");
  char text[64];
  shortest(text, sizeof text, learning_rate);
  encode(g->outputs[0], NAME_MAX_LEN, option_names[0], text);
  snprintf(text, sizeof text, "%lld", (long long)epochs);
  encode(g->outputs[1], NAME_MAX_LEN, option_names[1], text);
  encode(g->outputs[2], NAME_MAX_LEN, option_names[2], loss);
  encode(g->outputs[3], NAME_MAX_LEN, option_names[3],
         shuffle ? "true" : "false");
  encode(g->outputs[4], NAME_MAX_LEN, option_names[4], notes);
  encode(g->outputs[5], NAME_MAX_LEN, option_names[5],
         verbose ? "true" : "false");
  g->learning_rate = learning_rate;
  g->epochs = epochs;
  *self = g;
  return AERO_OK;
}

/* Each action declares its one output: a file holding its name. */
static aero_status produce(void *data, aero_tracker *tracker, aero_error *err) {
  const char *name = data;
  char path[4096];
  snprintf(path, sizeof path, "%s/value.txt", aero_workdir(tracker));
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot write %s", path);
  fprintf(f, "%s\n", name);
  fclose(f);
  const char *files[] = {path};
  return aero_declare_output(tracker,
                             &AERO_OUTPUT(.name = name, .files = files,
                                          .file_count = 1,
                                          .artifact_type = "value"),
                             err);
}

static aero_status good_build(void *self, aero_graph *graph, aero_error *err) {
  good *g = self;
  const char *parents[OPTION_COUNT];
  for (size_t i = 0; i < OPTION_COUNT; i++) {
    const char *outputs[] = {g->outputs[i]};
    parents[i] = g->outputs[i];
    aero_kv config[] = {AERO_KV_DOUBLE("learning_rate", g->learning_rate),
                        AERO_KV_INT("epochs", g->epochs)};
    aero_status rc = aero_graph_add(
        graph,
        &AERO_ACTION(.job_type = option_names[i], .outputs = outputs,
                     .output_count = 1, .config = config,
                     .config_count = AERO_COUNT(config), .run = produce,
                     .data = g->outputs[i]),
        err);
    if (rc != AERO_OK)
      return rc;
  }
  const char *outputs[] = {"summary"};
  return aero_graph_add(graph,
                        &AERO_ACTION(.job_type = "summary", .outputs = outputs,
                                     .output_count = 1, .parents = parents,
                                     .parent_count = OPTION_COUNT,
                                     .run = produce, .data = "summary"),
                        err);
}

static void good_destroy(void *self) {
  free(self);
}

AERO_BUILDER(good_builder, "ldrgood", "Fixture: every option type",
             GOOD_OPTIONS, good_new, good_build, good_destroy);

static aero_status good_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &good_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "ldr_good", "1.2.3", good_init)
