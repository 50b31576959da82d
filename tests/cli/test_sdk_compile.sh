#!/usr/bin/env bash
# The SDK at compile time: every public header compiles alone, warning-free
# under -pedantic; AERO_BUILDER accepts a constructor whose parameters match
# the declared options and rejects, with its own message, every mismatch
# (wrong type, wrong order, missing or extra parameter).
. "$(dirname "$0")/../lib.sh"

inc="$AERO_SOURCE_DIR/sdk/include"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$inc")

case_ "each public header compiles alone"
for h in "$inc"/aeromancy/*.h; do
  printf '#include <aeromancy/%s>\nint aero_test_unit;\n' "$(basename "$h")" >"$AERO_TMP/one.c"
  run cc "${cflags[@]}" "$AERO_TMP/one.c"
  [[ $rc == 0 ]] || fail "$(basename "$h") does not compile alone: $err"
done

# plugin PARAMS: a plugin whose options are (DOUBLE rate, INT epochs,
# CHOICE loss, BOOL shuffle, STRING notes) and whose constructor takes
# (void **self, PARAMS, aero_error *err).
plugin() {
  cat >"$AERO_TMP/p.c" <<C
#include <aeromancy/aeromancy.h>
#define OPTIONS(X)                                   \\
  X(DOUBLE, rate, 'r', 0.1, "rate")                  \\
  X(INT, epochs, 0, 3, "epochs")                     \\
  X(CHOICE, loss, 0, ("mse", "mae"), "loss")         \\
  X(BOOL, shuffle, 0, true, "shuffle")               \\
  X(STRING, notes, 0, NULL, "notes")
static aero_status make(void **self, $1, aero_error *err) {
  (void)err;
  *self = NULL;
  return AERO_OK;
}
static aero_status build(void *self, aero_graph *g, aero_error *err) {
  (void)self; (void)g; (void)err;
  return AERO_OK;
}
AERO_BUILDER(builder, "p", "p", OPTIONS, make, build, NULL);
static aero_status start(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &builder, err);
}
AERO_PLUGIN(AERO_PLUGIN_PROJECT, "p", "1", start)
C
  # Unused parameters are fine in these fixtures.
  run cc "${cflags[@]}" -Wno-unused-parameter "$AERO_TMP/p.c"
}

case_ "matching constructor compiles"
plugin "double rate, int64_t epochs, const char *loss, bool shuffle, const char *notes"
assert_rc 0

for bad in \
  "double rate, int64_t epochs, const char *loss, int shuffle, const char *notes" \
  "float rate, int64_t epochs, const char *loss, bool shuffle, const char *notes" \
  "double rate, int epochs, const char *loss, bool shuffle, const char *notes" \
  "int64_t epochs, double rate, const char *loss, bool shuffle, const char *notes" \
  "double rate, int64_t epochs, const char *loss, bool shuffle" \
  "double rate, int64_t epochs, const char *loss, bool shuffle, const char *notes, int extra"; do
  case_ "mismatch is a compile error: ($bad)"
  plugin "$bad"
  [[ $rc != 0 ]] || fail "compiled, but the constructor does not match the options"
  assert_contains "$err" "AERO_BUILDER: the parameters of make"
done

done_
