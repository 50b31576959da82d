#!/usr/bin/env bash
# `cmake --install` puts aerohost, the runner, the SDK headers, the CMake
# package and the tracker-local backend in the usual GNU folders, and a
# project outside this repository builds its plugin against the installed
# package in a few lines and runs it with the installed aerohost.
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
run cmake -S "$AERO_TMP/project" -B "$AERO_TMP/project/build" -DAeromancy_DIR="$pkg"
assert_rc 0
run cmake --build "$AERO_TMP/project/build"
assert_rc 0
plugin="$AERO_TMP/project/build/aerodemo.so"
[[ -f $plugin ]] || fail "no plugin built at $plugin"

case_ "the installed aerohost finds its installed backend and runs it"
# Only the install tree: no plugin path, and the build tree's backend folder
# (which aerohost would look in first) hidden for the moment. This test runs
# alone (RUN_SERIAL) and puts the folder back however it ends.
unset AEROMANCY_PLUGIN_PATH
hidden="$AERO_BUILD_DIR/plugins.hidden-by-test_install"
mv "$AERO_BUILD_DIR/plugins" "$hidden"
trap 'mv "$hidden" "$AERO_BUILD_DIR/plugins"; rm -rf "$AERO_TMP"' EXIT
(cd "$AERO_TMP/project" && "$prefix/bin/aerohost" run "$plugin" --dev -- --epochs 3) \
  >"$AERO_TMP/out" 2>"$AERO_TMP/err"
rc=$?
err=$(cat "$AERO_TMP/err")
assert_rc 0
assert_contains "$err" "3 ok, 0 failed"
assert_eq "$(sql "select count(*) from runs where status = 'ok'")" 3

done_
