#!/usr/bin/env bash
# Every plugin the build produces (examples and the host's own backends)
# exports exactly one dynamic symbol, aero_plugin_entry: the host exports
# nothing to plugins and plugins export nothing but their entry.
. "$(dirname "$0")/../lib.sh"

plugins=()
for dir in "$AERO_BUILD_DIR/examples" "$AERO_BUILD_DIR/plugins"; do
  [[ -d $dir ]] || continue
  while IFS= read -r -d '' so; do
    # Only shared objects (binutils' readelf, like nm).
    readelf -h "$so" 2>/dev/null | grep -q 'Type: *DYN' && plugins+=("$so")
  done < <(find "$dir" -name '*.so' -type f -not -path '*/CMakeFiles/*' -print0)
done

case_ "the build produced plugins"
((${#plugins[@]} > 0)) || fail "no plugin .so under $AERO_BUILD_DIR/examples or /plugins"

for so in "${plugins[@]}"; do
  case_ "$(basename "$so") exports only aero_plugin_entry"
  run nm -D --defined-only "$so"
  assert_rc 0
  symbols=$(awk 'NF >= 3 {print $3}' <<<"$out" | sort)
  assert_eq "$symbols" "aero_plugin_entry" "$so"
  # And it is a function the host can call.
  assert_contains "$out" " T aero_plugin_entry"
done

# The same check must be able to fail: a fixture built with default
# visibility exports more.
case_ "the check catches a plugin exporting more"
nohidden=$AERO_FIXTURES/nohidden_exports.so
run nm -D --defined-only "$nohidden"
assert_rc 0
symbols=$(awk 'NF >= 3 {print $3}' <<<"$out" | sort | tr '\n' ' ')
assert_contains "$symbols" "aero_plugin_entry"
assert_contains "$symbols" "nohidden_helper"

done_
