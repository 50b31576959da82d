/* A plugin built with default visibility: it exports its helper besides
 * aero_plugin_entry, so tests/cli/test_exports.sh can show that its check
 * catches extra exports. */
#include <aeromancy/aeromancy.h>

int nohidden_helper(int x);
int nohidden_helper(int x) {
  return x + 1;
}

static aero_status nh_init(aero_registrar *reg, aero_error *err) {
  (void)reg;
  return nohidden_helper(0) ? AERO_OK
                            : aero_fail(err, AERO_E_INVALID, "unreachable");
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "nohidden_exports", "1", nh_init)
