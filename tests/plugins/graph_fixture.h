/* Shared body of the graph fixtures (tests/plugins/graph_*.c): a plugin
 * whose builder "graphdemo" adds the actions of a static table, each with
 * one output and up to two parents, in table order. A fixture writes its
 * table and then GRAPH_FIXTURE(table, "plugin_name"). */
#ifndef GRAPH_FIXTURE_H
#define GRAPH_FIXTURE_H

#include <aeromancy/aeromancy.h>

typedef struct graph_step {
  const char *job_type;
  const char *output;
  const char *parents[2]; /* NULL-padded */
} graph_step;

static inline aero_status graph_run(void *data, aero_tracker *tracker,
                                    aero_error *err) {
  (void)data;
  (void)tracker;
  (void)err;
  return AERO_OK;
}

static inline aero_status graph_new(void **self, aero_error *err) {
  (void)err;
  *self = NULL;
  return AERO_OK;
}

static inline aero_status graph_add_all(aero_graph *graph,
                                        const graph_step *steps, size_t count,
                                        aero_error *err) {
  for (size_t i = 0; i < count; i++) {
    const graph_step *s = &steps[i];
    const char *outputs[] = {s->output};
    size_t parents = s->parents[0] == NULL ? 0 : s->parents[1] == NULL ? 1 : 2;
    aero_status st =
        aero_graph_add(graph,
                       &AERO_ACTION(.job_type = s->job_type, .outputs = outputs,
                                    .output_count = 1, .parents = s->parents,
                                    .parent_count = parents, .run = graph_run),
                       err);
    if (st != AERO_OK)
      return st;
  }
  return AERO_OK;
}

#define GRAPH_FIXTURE(table, plugin_name)                                      \
  static aero_status graph_build(void *self, aero_graph *graph,                \
                                 aero_error *err) {                            \
    (void)self;                                                                \
    return graph_add_all(graph, table, AERO_COUNT(table), err);                \
  }                                                                            \
  AERO_BUILDER(graph_builder, "graphdemo", "Graph fixture", AERO_NO_OPTIONS,   \
               graph_new, graph_build, NULL);                                  \
  static aero_status graph_init(aero_registrar *reg, aero_error *err) {        \
    return aero_register_builder(reg, &graph_builder, err);                    \
  }                                                                            \
  AERO_PLUGIN(AERO_PLUGIN_PROJECT, plugin_name, "1.0.0", graph_init)

#endif /* GRAPH_FIXTURE_H */
