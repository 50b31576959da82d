/* A builder without build_actions. */
#include <aeromancy/aeromancy.h>

static aero_status nb_new(void **self, aero_error *err) {
  (void)err;
  *self = NULL;
  return AERO_OK;
}

AERO_BUILDER(nb_builder, "nobuild", NULL, AERO_NO_OPTIONS, nb_new, NULL, NULL);

static aero_status nb_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &nb_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "ldr_no_build", "1", nb_init)
