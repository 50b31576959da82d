#!/usr/bin/env bash
# A plugin in C++: examples/cxxdemo builds as an outside project against
# the CMake package (aeromancy_add_plugin with a .cpp source), exports one
# symbol, and runs through aerohost with its typed flags; its constructor
# given a wrong parameter type is a compile error with AERO_BUILDER's
# message.
. "$(dirname "$0")/../lib.sh"

pkg="$AERO_BUILD_DIR/cmake-package"
src="$AERO_TMP/cxxdemo"
cp -r "$AERO_SOURCE_DIR/examples/cxxdemo" "$src"

case_ "the C++ example builds against the package"
run cmake -S "$src" -B "$src/build" -DAeromancy_DIR="$pkg"
assert_rc 0
run cmake --build "$src/build"
assert_rc 0
plugin="$src/build/cxxdemo.so"
[[ -f $plugin ]] || fail "no $plugin"

case_ "it exports exactly aero_plugin_entry, with C linkage"
run nm -D --defined-only "$plugin"
assert_eq "$(awk '{print $3}' <<<"$out")" "aero_plugin_entry"

case_ "it runs: typed flags, two actions, a metric"
run "$AEROHOST" run "$plugin" --dev -- --degree 3 --curve cubic
assert_rc 0
assert_contains "$err" "2 ok, 0 failed"
assert_eq "$(sql "select count(*) from runs where status = 'ok'")" 2
rmse=$(sql "select value from metrics where key = 'rmse'")
awk -v r="$rmse" 'BEGIN { exit !(r > 0 && r < 0.05) }' || fail "rmse of a cubic fit to a cubic: $rmse"
run "$AEROHOST" run "$plugin" --dev -- --degree 3.5
assert_rc 3
assert_contains "$err" "--degree"
run "$AEROHOST" run "$plugin" --dev -- --degree 20
assert_rc 3
assert_contains "$err" "--degree must be 0..12"

case_ "a mismatched constructor is a compile error in C++"
sed -i 's/aero_status make(void \*\*self, int64_t degree,/aero_status make(void **self, int degree,/' "$src/aeromain.cpp"
grep -q 'make(void \*\*self, int degree' "$src/aeromain.cpp" || fail "the example's constructor changed; update this test"
run cmake --build "$src/build"
[[ $rc != 0 ]] || fail "built although the constructor takes int for an INT option"
assert_contains "$out$err" "AERO_BUILDER: the parameters of make"

done_
