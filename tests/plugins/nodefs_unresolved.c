/* A plugin referencing a function no library defines: linked without
 * -z defs, so the failure shows at dlopen(RTLD_NOW). */
#include <aeromancy/aeromancy.h>

extern int ldr_missing_function(int x);

static aero_status un_new(void **self, aero_error *err) {
  (void)err;
  *self = NULL;
  return AERO_OK;
}

static aero_status un_build(void *self, aero_graph *graph, aero_error *err) {
  (void)self;
  (void)graph;
  return ldr_missing_function(1) ? AERO_OK
                                 : aero_fail(err, AERO_E_INVALID, "no");
}

AERO_BUILDER(un_builder, "unresolved", NULL, AERO_NO_OPTIONS, un_new, un_build,
             NULL);

static aero_status un_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &un_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "nodefs_unresolved", "1", un_init)
