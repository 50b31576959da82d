/* What graph.c and graph_render.c share: the graph's layout and a few
 * helpers. Private to the graph unit. */
#ifndef AEH_GRAPH_PRIVATE_H
#define AEH_GRAPH_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "graph.h"

struct aero_graph {
  char *project; /* owned */
  size_t project_len;
  aeh_action *actions; /* insertion order; each owns one block of copies
                          that starts at its `outputs` array */
  size_t count;
  size_t cap;
  size_t *order; /* run order -> insertion index; NULL until valid */
  bool validated;
};

/* `name` without a leading "project/" of this graph's project; *foreign is
 * set when it names another project. Returns a pointer into `name`. */
const char *aeh_graph_local_name(const aero_graph *graph, const char *name,
                                 bool *foreign);

/* The children of every action in CSR form, built once for both users
 * (the topological sort and the text tree): those of the action with
 * insertion index i are (*children)[(*start)[i] .. (*start)[i + 1]),
 * listed in the order of `visit` (insertion indices; NULL: insertion
 * order). The caller frees both arrays. False when out of memory. */
bool aeh_graph_children(const aero_graph *graph, const size_t *visit,
                        size_t **start, size_t **children);

#endif /* AEH_GRAPH_PRIVATE_H */
