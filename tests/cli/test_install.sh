#!/usr/bin/env bash
# `cmake --install` puts aerohost, the runner, the SDK headers, the CMake
# package and the tracker-local backend in the usual GNU folders, and a
# project outside this repository builds its plugin against the installed
# package in a few lines and runs it with the installed aerohost, which
# finds its backend plugins only relative to itself or in
# AEROMANCY_PLUGIN_PATH, never in the build tree.
. "$(dirname "$0")/../lib.sh"

prefix="$AERO_TMP/prefix"

case_ "install into a prefix"
run cmake --install "$AERO_BUILD_DIR" --prefix "$prefix"
assert_rc 0
for f in bin/aerohost bin/aeromancy include/aeromancy/aeromancy.h \
  include/aeromancy/plugin.h lib/cmake/Aeromancy/AeromancyConfig.cmake \
  lib/cmake/Aeromancy/AeromancyPlugin.cmake \
  lib/cmake/Aeromancy/AeromancyTargets.cmake \
  lib/aeromancy/plugins/tracker-local.so share/aeromancy/Dockerfile; do
  libdir_f=${f/#lib\//lib/x86_64-linux-gnu/}
  [[ -e $prefix/$f || -e $prefix/$libdir_f ]] || fail "not installed: $f"
done
# The SDK is only our headers: nothing of libffi, inih or SQLite leaks in.
run grep -lE 'ffi\.h|ini\.h|sqlite3\.h' -r "$prefix/include/aeromancy"
assert_rc 1

case_ "an outside project builds against the installed package"
cp -r "$AERO_SOURCE_DIR/examples/aerodemo" "$AERO_TMP/project"
pkg=$(dirname "$(find "$prefix" -name AeromancyConfig.cmake -print -quit)")
run cmake -S "$AERO_TMP/project" -B "$AERO_TMP/project/build" -DAeromancy_DIR="$pkg" \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
assert_rc 0
# Plugins compile as C11, as the README says (not CMake's default gnu11).
commands=$(cat "$AERO_TMP/project/build/compile_commands.json")
assert_contains "$commands" "-std=c11"
assert_not_contains "$commands" "-std=gnu11"
run cmake --build "$AERO_TMP/project/build"
assert_rc 0
plugin="$AERO_TMP/project/build/aerodemo.so"
[[ -f $plugin ]] || fail "no plugin built at $plugin"

case_ "the installed aerohost finds its installed backend and runs it"
# Only the install tree: no plugin path.
unset AEROMANCY_PLUGIN_PATH
(cd "$AERO_TMP/project" && "$prefix/bin/aerohost" run "$plugin" --dev -- --epochs 3) \
  >"$AERO_TMP/out" 2>"$AERO_TMP/err"
rc=$?
err=$(cat "$AERO_TMP/err")
assert_rc 0
assert_contains "$err" "3 ok, 0 failed"
assert_eq "$(sql "select count(*) from runs where status = 'ok'")" 3

case_ "an installed aerohost never loads a backend of the build tree"
# The build tree still holds tracker-local.so; the install tree no longer
# does: the installed aerohost must not fall back to the build tree.
installed=$(find "$prefix" -name tracker-local.so -print -quit)
mv "$installed" "$AERO_TMP/moved-tracker-local.so"
run env -C "$AERO_TMP/project" "$prefix/bin/aerohost" run "$plugin" --dev
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "tracker backend 'local' not found"
assert_contains "$err" "$prefix/bin"
# AEROMANCY_PLUGIN_PATH is the other place it looks.
run env -C "$AERO_TMP/project" AEROMANCY_PLUGIN_PATH="$AERO_TMP" \
  "$prefix/bin/aerohost" run "$plugin" --dev
assert_rc 3 # a file named tracker-local.so is needed, not any file
cp "$AERO_TMP/moved-tracker-local.so" "$AERO_TMP/tracker-local.so"
run env -C "$AERO_TMP/project" AEROMANCY_PLUGIN_PATH="$AERO_TMP" \
  "$prefix/bin/aerohost" run "$plugin" --dev
assert_rc 0

case_ "a moved install still finds its backend, relative to itself"
mv "$AERO_TMP/moved-tracker-local.so" "$installed"
mv "$prefix" "$AERO_TMP/moved-prefix"
run env -C "$AERO_TMP/project" "$AERO_TMP/moved-prefix/bin/aerohost" run \
  "$plugin" --dev
assert_rc 0

case_ "the installed runner maps no web, TLS, PostgreSQL or shared libcrypto library"
# Those cost every read command its start-up (docs/performance.md): only
# aeromancy-ui links libmicrohttpd, and libpq is dlopened by a production
# run with a team store.
run ldd "$AERO_TMP/moved-prefix/bin/aeromancy"
assert_rc 0
for lib in libmicrohttpd libgnutls libpq libcrypto libssl libkrb5; do
  [[ $out != *"$lib"* ]] || fail "the runner links $lib"
done
run ldd "$AERO_TMP/moved-prefix/libexec/aeromancy-ui"
assert_contains "$out" libmicrohttpd

case_ "the installed (and moved) aeromancy ui runs its own aeromancy-ui"
. "$AERO_SOURCE_DIR/tests/cli/ui_lib.sh"
AEROMANCY="$AERO_TMP/moved-prefix/bin/aeromancy" ui_start --store "$AEROMANCY_STORE" ||
  fail "aeromancy ui did not start: $(cat "$AERO_TMP/ui.err")"
http /api/runs
assert_eq "$code" 200
assert_contains "$body" '"status"'
ui_stop
assert_eq "$ui_rc" 0
run "$AERO_TMP/moved-prefix/libexec/aeromancy-ui"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "aeromancy ui"

case_ "aeromancy ui without its aeromancy-ui: one line naming it, exit 3"
rm "$AERO_TMP/moved-prefix/libexec/aeromancy-ui"
run "$AERO_TMP/moved-prefix/bin/aeromancy" ui --store "$AEROMANCY_STORE" --port 0
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "$AERO_TMP/moved-prefix/bin/../libexec/aeromancy-ui"

done_
