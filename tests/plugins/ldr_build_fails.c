/* A builder whose build_actions fails. */
#include <aeromancy/aeromancy.h>

static aero_status bf_new(void **self, aero_error *err) {
  (void)err;
  *self = NULL;
  return AERO_OK;
}

static aero_status bf_build(void *self, aero_graph *graph, aero_error *err) {
  (void)self;
  (void)graph;
  return aero_fail(err, AERO_E_NOT_FOUND,
                   "data manifest /nonexistent/manifest.csv not found");
}

AERO_BUILDER(bf_builder, "buildfails", NULL, AERO_NO_OPTIONS, bf_new, bf_build,
             NULL);

static aero_status bf_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &bf_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "ldr_build_fails", "1", bf_init)
