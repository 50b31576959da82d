#!/usr/bin/env bash
# Plugins that would kill or fool the host while it loads them: a file cut
# short or built for another machine (read from its ELF headers before
# dlopen, which would die of SIGBUS or say "No such file or directory"),
# and library constructors that crash, call exit(0) or hang. Each ends in
# exit 3 with one line naming the plugin, whatever the plugin does; and a
# plugin built for an older ABI major is refused like a newer one.
. "$(dirname "$0")/../lib.sh"

F=$AERO_FIXTURES
GOOD=$F/ldr_good.so

# refused PLUGIN WANT [COMMANDS...]: run and describe (or COMMANDS) refuse
# PLUGIN so, with nothing recorded.
refused() {
  local plugin=$1 want=$2
  shift 2
  (($# > 0)) || set -- run describe
  plugin_refused "$plugin" "$want" 0 "$@"
}

size=$(stat -c %s "$GOOD")
for cut in 100 1000 4096 $((size / 2)); do
  head -c "$cut" "$GOOD" >"$AERO_TMP/cut-$cut.so"
  refused "$AERO_TMP/cut-$cut.so" "cannot load: truncated"
done

# The same bytes with another machine in the header (e_machine, byte 18).
patch_byte() { printf "$(printf '\\x%02x' "$3")" |
  dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
cp "$GOOD" "$AERO_TMP/arm64.so"
patch_byte "$AERO_TMP/arm64.so" 18 183
patch_byte "$AERO_TMP/arm64.so" 19 0
refused "$AERO_TMP/arm64.so" "built for AArch64 (arm64), 64-bit, but this aerohost runs on x86-64, 64-bit"
cp "$GOOD" "$AERO_TMP/i386.so"
patch_byte "$AERO_TMP/i386.so" 4 1 # ELFCLASS32
patch_byte "$AERO_TMP/i386.so" 18 3
refused "$AERO_TMP/i386.so" "built for x86 (i386), 32-bit"

refused "$F/ldr_ctor_crash.so" "the plugin crashed while loading (SIGSEGV"
refused "$F/ldr_ctor_exit.so" "the plugin called exit(0) while loading"
export AEROMANCY_PLUGIN_LOAD_TIMEOUT=1
refused "$F/ldr_ctor_hang.so" "the plugin did not finish loading within 1 s" run
unset AEROMANCY_PLUGIN_LOAD_TIMEOUT


refused "$F/ldr_abi_old.so" "plugin built for ABI 0.9, but this host speaks ABI 1."

case_ "a bad AEROMANCY_PLUGIN_LOAD_TIMEOUT is named, not taken as 30 s"
for bad in 1s -5 86401 ' 3'; do
  AEROMANCY_PLUGIN_LOAD_TIMEOUT=$bad run "$AEROHOST" run --dev "$GOOD"
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "AEROMANCY_PLUGIN_LOAD_TIMEOUT: '$bad' is not a number of seconds"
done
AEROMANCY_PLUGIN_LOAD_TIMEOUT=0 run "$AEROHOST" run --dev "$GOOD"
assert_rc 0

case_ "a good plugin still loads and runs"
run "$AEROHOST" run --dev "$GOOD"
assert_rc 0

done_
