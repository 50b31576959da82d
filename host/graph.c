/* STUB: replaced by the engine's implementation. */
#include "graph.h"
aero_graph *aeh_graph_new(const char *project) { (void)project; return NULL; }
aero_status aeh_graph_add(aero_graph *g, const aero_action_desc *d, aero_error *err) {
  (void)g; if (d && d->destroy) d->destroy(d->data);
  return aeh_error_set(err, AERO_E_UNSUPPORTED, "graph: not implemented yet"); }
aero_status aeh_graph_validate(aero_graph *g, aero_error *err) { (void)g; return aeh_error_set(err, AERO_E_UNSUPPORTED, "graph: not implemented yet"); }
aero_status aeh_graph_select(aero_graph *g, const char *only, aero_error *err) { (void)g; (void)only; return aeh_error_set(err, AERO_E_UNSUPPORTED, "graph: not implemented yet"); }
const char *aeh_graph_project(const aero_graph *g) { (void)g; return ""; }
size_t aeh_graph_count(const aero_graph *g) { (void)g; return 0; }
aeh_action *aeh_graph_at(const aero_graph *g, size_t i) { (void)g; (void)i; return NULL; }
void aeh_graph_write_list(const aero_graph *g, FILE *out, bool json) { (void)g; (void)out; (void)json; }
void aeh_graph_write_dot(const aero_graph *g, FILE *out) { (void)g; (void)out; }
void aeh_graph_write_text(const aero_graph *g, FILE *out) { (void)g; (void)out; }
void aeh_graph_free(aero_graph *g) { (void)g; }
