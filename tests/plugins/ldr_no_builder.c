/* A project plugin whose init succeeds but registers no builder. */
#include <aeromancy/aeromancy.h>

static aero_status empty_init(aero_registrar *reg, aero_error *err) {
  (void)reg;
  (void)err;
  return AERO_OK;
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "ldr_no_builder", "1", empty_init)
