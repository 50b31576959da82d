#!/usr/bin/env bash
# Every way a plugin can be wrong, through the real aerohost: one line on
# stderr naming the plugin path and the culprit, exit 3, nothing on stdout,
# and nothing recorded in (or lost from) the store.
. "$(dirname "$0")/../lib.sh"

F=$AERO_FIXTURES

# A store that already holds runs, so that "nothing lost" can fail.
case_ "a good plugin runs and records"
run "$AEROHOST" run --dev "$F/ldr_good.so"
assert_rc 0
before=$(store_runs)
[[ $before -gt 0 ]] || fail "expected recorded runs, got '$before'"

# bad PLUGIN WANT [COMMANDS...]: each command refuses PLUGIN the same way.
bad() {
  local plugin=$1 want=$2
  shift 2
  (($# > 0)) || set -- run list describe
  plugin_refused "$plugin" "$want" "$before" "$@"
}

bad "$AERO_TMP/nonexistent.so" "no such file"
mkdir "$AERO_TMP/a-directory.so"
bad "$AERO_TMP/a-directory.so" "is a directory, not a shared library"
: >"$AERO_TMP/empty.so"
bad "$AERO_TMP/empty.so" "empty file, not a shared library"
printf '#include <stdio.h>\nint main(void) { return 0; }\n' >"$AERO_TMP/text.so"
bad "$AERO_TMP/text.so" \
  "not a shared library (no ELF header; is it a text file?)"
head -c 64 "$F/ldr_good.so" >"$AERO_TMP/truncated.so"
bad "$AERO_TMP/truncated.so" "cannot load: "
bad "$F/ldr_noentry.so" \
  "not an aeromancy plugin (no aero_plugin_entry symbol; declare it with AERO_PLUGIN)"

libz=$(ldconfig -p | awk '/libz\.so\.1 .*x86-64/ {print $NF; exit}')
[[ -n $libz ]] || libz=$(ldconfig -p | awk '/libz\.so\.1 / {print $NF; exit}')
if [[ -n $libz && -e $libz ]]; then
  bad "$libz" "not an aeromancy plugin (no aero_plugin_entry symbol"
else
  case_ "libz present"
  fail "no libz.so.1 found with ldconfig -p"
fi

bad "$F/ldr_null_info.so" "returned no info block"
bad "$F/ldr_bad_magic.so" "bad magic 0x12345678 in the plugin info block (expected 0x4F524541"
bad "$F/ldr_abi_major.so" \
  "plugin built for ABI 2.0, but this host speaks ABI 1.7: rebuild the plugin against SDK 1.x"
bad "$F/ldr_abi_minor.so" "plugin built for ABI 1.14, newer than this host's ABI 1.7"
bad "$F/ldr_size_zero.so" "plugin info block has struct_size 0 (expected at least 40"
bad "$F/ldr_size_short.so" "plugin info block has struct_size 16 (expected at least 40"
bad "$F/ldr_bad_name.so" "plugin name '../bad name' is invalid"
bad "$F/ldr_no_init.so" "plugin 'ldr_no_init' has no init function"
bad "$F/ldr_backend.so" "plugin is of kind 2 (backend), expected a project plugin"
if [[ -e $AEROMANCY_PLUGIN_PATH/tracker-local.so ]]; then
  bad "$AEROMANCY_PLUGIN_PATH/tracker-local.so" "expected a project plugin" run
fi
bad "$F/ldr_init_fails.so" \
  "init failed: ldr_init_fails: license file /nonexistent missing"
bad "$F/ldr_no_builder.so" "project plugin 'ldr_no_builder' registered no builder"
bad "$F/ldr_no_build.so" "builder 'nobuild' has no build_actions"
bad "$F/ldr_no_ctor.so" "builder 'noctor' has no constructor"
bad "$F/nodefs_unresolved.so" "cannot load: undefined symbol: ldr_missing_function"
bad "$F/ldr_build_fails.so" \
  "builder 'buildfails': build_actions failed: data manifest /nonexistent/manifest.csv not found" \
  run list graph
bad "$F/ldr_ctor_fails.so" \
  "builder 'ctorfails': constructor failed: --batch-size must be positive, got 0" \
  run list graph

# Production mode refuses a bad plugin the same way, before asking for the
# runner's environment.
case_ "bad plugin in production mode"
run "$AEROHOST" run "$F/ldr_abi_major.so"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "rebuild the plugin against SDK 1.x"

case_ "the good plugin still runs after all that"
run "$AEROHOST" run --dev "$F/ldr_good.so"
assert_rc 0
[[ $(store_runs) -gt $before ]] || fail "expected new runs after $before"

done_
