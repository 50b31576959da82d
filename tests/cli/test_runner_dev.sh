#!/usr/bin/env bash
# `aeromancy go --dev` as a new user meets it (no container, no git): the
# README's project shape (project(myproject) with
# aeromancy_add_plugin(aeromain ...)) and no aeromancy.ini; the runner finds
# the plugin target itself and passes every option of `aerohost run` on.
. "$(dirname "$0")/../lib.sh"

unset AEROMANCY_CONFIG XDG_DATA_HOME XDG_CACHE_HOME
proj="$AERO_TMP/myproject"
mkdir -p "$proj"
cp "$AERO_SOURCE_DIR"/examples/aerodemo/{aeromain.c,actions.c,actions.h} "$proj"
cat >"$proj/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(myproject C)
find_package(Aeromancy REQUIRED)
aeromancy_add_plugin(aeromain SOURCES aeromain.c actions.c LIBRARIES m)
EOF
cd "$proj" || exit 1

case_ "the README's project runs without aeromancy.ini or [build] target"
run "$AEROMANCY" go --dev -- --epochs 2
assert_rc 0
assert_contains "$err" "3 ok, 0 failed"
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'ok' AND
  mode = 'dev'")" 3
assert_contains "$(sql "SELECT DISTINCT plugin_path FROM runs")" \
  "/aeromain.so"

case_ "bash completion offers that plugin's flags, without aeromancy.ini"
# The runner names the project by its folder: so does the completion.
complete_in() { # DIR WORD: what Tab offers after `aeromancy go --dev -- WORD`
  (cd "$1" && PATH="$(dirname "$AEROHOST"):$PATH" bash -c '
    . "$1/aerohost"; . "$1/aeromancy"
    COMP_WORDS=(aeromancy go --dev -- "$2"); COMP_CWORD=4
    _aeromancy aeromancy "$2" --; echo "${COMPREPLY[*]}"' _ \
    "$AERO_BUILD_DIR/host/docs/completion" "$2")
}
assert_eq "$(complete_in "$proj" --learning)" "--learning-rate"

case_ "--list, --graph and --format are passed on"
run "$AEROMANCY" go --dev --list
assert_rc 0
assert_eq "$out" $'[ingest] dataset\n[train] model\n[evaluate] report'
run "$AEROMANCY" go --dev --list --json
assert_rc 0
assert_contains "$out" '"job_type"'
run "$AEROMANCY" go --dev --graph
assert_rc 0
assert_contains "$out" "digraph"
run "$AEROMANCY" go --dev --graph --format text
assert_rc 0
assert_not_contains "$out" "digraph"
assert_contains "$out" "dataset"

case_ "--builder, -j, -k, --only and --force are passed on"
run "$AEROMANCY" go --dev --builder aerodemo -j 2 -k --only ingest --force
assert_rc 0
assert_contains "$err" "1 ok"
run "$AEROMANCY" go --dev --builder nosuch
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "no builder named 'nosuch'"

case_ "--backend is passed on: a second backend plugin records the run"
AEROMANCY_PLUGIN_PATH="$AEROMANCY_PLUGIN_PATH:$AERO_FIXTURES" \
  run "$AEROMANCY" go --dev --backend journal --store "$AERO_TMP/j" \
  --only ingest
assert_rc 0
assert_contains "$(cat "$AERO_TMP/j/journal.txt" 2>/dev/null)" \
  "run_begin aerodemo ingest dev"

case_ "the runner and aerohost choose the same store (XDG_DATA_HOME, --store)"
env -u AEROMANCY_STORE XDG_DATA_HOME="$AERO_TMP/xdg" \
  "$AEROMANCY" go --dev --only ingest >/dev/null 2>&1
assert_eq "$(sqlite3 -batch -noheader "$AERO_TMP/xdg/aeromancy/aeromancy.db" \
  "SELECT count(*) FROM runs")" 1
run "$AEROMANCY" go --dev --only ingest --store rel-store
assert_rc 0
assert_eq "$(sqlite3 -batch -noheader "$proj/rel-store/aeromancy.db" \
  "SELECT count(*) FROM runs")" 1

case_ "an option neither has is refused by the runner, in one line"
run "$AEROMANCY" go --dev --no-such-option
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "unknown option --no-such-option"

case_ "a folder without CMakeLists.txt is refused in one line, before CMake"
mkdir -p "$AERO_TMP/not-a-project"
(cd "$AERO_TMP/not-a-project" && "$AEROMANCY" go --dev) >"$AERO_TMP/out" 2>"$AERO_TMP/err"
rc=$?
err=$(cat "$AERO_TMP/err")
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "not-a-project has no CMakeLists.txt: not an aeromancy project"
# Production says the same, before git, the engine or an image.
(cd "$AERO_TMP/not-a-project" && "$AEROMANCY" go) >"$AERO_TMP/out" 2>"$AERO_TMP/err"
rc=$?
err=$(cat "$AERO_TMP/err")
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "not-a-project has no CMakeLists.txt"

case_ "help lists aerohost's options from aerohost's table"
run "$AEROMANCY" go --help
assert_rc 0
for o in --list --graph --builder --backend --no-isolation --timeout; do
  assert_contains "$out" "$o"
done
# go runs actions: its exit codes say what an action's failure returns.
assert_contains "$out" "  1       an action failed"

case_ "several plugins: the runner asks for [build] target, then builds it"
cat >>CMakeLists.txt <<'EOF'
aeromancy_add_plugin(other SOURCES aeromain.c actions.c LIBRARIES m)
EOF
run "$AEROMANCY" go --dev --list
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "makes 2 plugins (aeromain, other)"
assert_contains "$err" "[build] target"
printf '[build]\ntarget = other\n' >aeromancy.ini
run "$AEROMANCY" go --dev --only ingest
assert_rc 0
assert_contains "$(sql "SELECT plugin_path FROM runs ORDER BY id DESC
  LIMIT 1")" "/other.so"

case_ "a renamed plugin target is found, not the one built before"
rm aeromancy.ini
sed -i '/aeromancy_add_plugin(other /d; s/aeromancy_add_plugin(aeromain /aeromancy_add_plugin(renamed /' \
  CMakeLists.txt
run "$AEROMANCY" go --dev --only ingest --force
assert_rc 0
assert_contains "$(sql "SELECT plugin_path FROM runs ORDER BY id DESC
  LIMIT 1")" "/renamed.so"

done_
