#!/usr/bin/env bash
# The SDK at compile time: every public header compiles alone, warning-free
# under -pedantic, as C11 and as C++17 (g++ and clang++); AERO_BUILDER
# accepts a constructor whose parameters match the declared options and
# rejects, with its own message, every mismatch (wrong type, wrong order,
# missing or extra parameter), in C (_Generic) and in C++ (static_assert).
. "$(dirname "$0")/../lib.sh"

inc="$AERO_SOURCE_DIR/sdk/include"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$inc")

case_ "each public header compiles alone"
for h in "$inc"/aeromancy/*.h; do
  printf '#include <aeromancy/%s>\nint aero_test_unit;\n' "$(basename "$h")" >"$AERO_TMP/one.c"
  run cc "${cflags[@]}" "$AERO_TMP/one.c"
  [[ $rc == 0 ]] || fail "$(basename "$h") does not compile alone: $err"
done

# skip_or_fail WHY: always a failure here: these compilers come with the build tools.
skip_or_fail() { fail "$1"; }

cxxflags=(-std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$inc")
for cxx in g++ clang++; do
  case_ "each public header compiles alone as C++17 ($cxx)"
  command -v $cxx >/dev/null || { skip_or_fail "$cxx is not installed"; continue; }
  for h in "$inc"/aeromancy/*.h; do
    printf '#include <aeromancy/%s>\nint aero_test_unit;\n' "$(basename "$h")" >"$AERO_TMP/one.cpp"
    run $cxx "${cxxflags[@]}" "$AERO_TMP/one.cpp"
    [[ $rc == 0 ]] || fail "$(basename "$h") does not compile alone as C++: $err"
  done
  # Declarations keep C linkage: the host resolves them by their C names.
  printf '#include <aeromancy/aeromancy.h>\nconst char *f(void);\nconst char *f(void) { return aero_status_name(AERO_OK); }\n' >"$AERO_TMP/link.cpp"
  run $cxx -std=c++17 -I"$inc" -c -o "$AERO_TMP/link.o" "$AERO_TMP/link.cpp"
  assert_rc 0
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

# plugin_cxx PARAMS: the same plugin in C++17, with an action and an
# output made the C++ way (aero_action_init, aero_output_init, AERO_KV_*).
plugin_cxx() {
  cat >"$AERO_TMP/p.cpp" <<C
#include <aeromancy/aeromancy.h>
#define OPTIONS(X)                                   \\
  X(DOUBLE, rate, 'r', 0.1, "rate")                  \\
  X(INT, epochs, 0, 3, "epochs")                     \\
  X(CHOICE, loss, 0, ("mse", "mae"), "loss")         \\
  X(BOOL, shuffle, 0, true, "shuffle")               \\
  X(STRING, notes, 0, NULL, "notes")
static aero_status make(void **self, $1, aero_error *err) ${2:-} {
  (void)err;
  *self = nullptr;
  return AERO_OK;
}
static aero_status run(void *, aero_tracker *t, aero_error *err) {
  const char *files[] = {"f"};
  aero_output_desc o = aero_output_init();
  o.name = "x";
  o.files = files;
  o.file_count = 1;
  return aero_declare_output(t, &o, err);
}
static aero_status build(void *self, aero_graph *g, aero_error *err) {
  static const char *const outs[] = {"x"};
  const aero_kv cfg[] = {AERO_KV_DOUBLE("a", 1.0), AERO_KV_INT("b", 2),
                         AERO_KV_BOOL("c", true), AERO_KV_STRING("d", "e")};
  aero_action_desc d = aero_action_init();
  d.job_type = "t";
  d.outputs = outs;
  d.output_count = 1;
  d.config = cfg;
  d.config_count = AERO_COUNT(cfg);
  d.run = run;
  d.data = self;
  return aero_graph_add(g, &d, err);
}
AERO_BUILDER(builder, "p", "p", OPTIONS, make, build, NULL);
static aero_status start(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &builder, err);
}
AERO_PLUGIN(AERO_PLUGIN_PROJECT, "p", "1", start)
C
  run g++ "${cxxflags[@]}" -Wno-unused-parameter "$AERO_TMP/p.cpp"
}

good="double rate, int64_t epochs, const char *loss, bool shuffle, const char *notes"
case_ "C++: matching constructor compiles, noexcept or not"
plugin_cxx "$good"
assert_rc 0
plugin_cxx "$good" noexcept
assert_rc 0

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
  case_ "C++: mismatch is a compile error: ($bad)"
  plugin_cxx "$bad"
  [[ $rc != 0 ]] || fail "compiled as C++, but the constructor does not match the options"
  assert_contains "$err" "AERO_BUILDER: the parameters of make"
done

done_
