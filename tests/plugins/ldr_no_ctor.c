/* A builder without a constructor (written by hand: AERO_BUILDER needs
 * one). */
#include <aeromancy/aeromancy.h>

static aero_status nc_build(void *self, aero_graph *graph, aero_error *err) {
  (void)self;
  (void)graph;
  (void)err;
  return AERO_OK;
}

static const aero_builder_vtable nc_builder = {
    .struct_size = sizeof(aero_builder_vtable),
    .project = "noctor",
    .build_actions = nc_build,
};

static aero_status nc_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &nc_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "ldr_no_ctor", "1", nc_init)
