/* An init that fails with its own message. */
#include <aeromancy/aeromancy.h>

static aero_status fail_init(aero_registrar *reg, aero_error *err) {
  (void)reg;
  return aero_fail(err, AERO_E_CONFIG,
                   "ldr_init_fails: license file /nonexistent missing");
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "ldr_init_fails", "1", fail_init)
