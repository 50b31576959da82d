#!/usr/bin/env bash
# The aerohost command line: --version, help in three groups with the exit
# codes, describe, list (and --json), graph (DOT and text), run --list and
# --graph, standard-option errors with "did you mean", and the run flow's
# exit codes.
. "$(dirname "$0")/../lib.sh"

G=$AERO_FIXTURES/ldr_good.so
T=$AERO_FIXTURES/ldr_two.so
X=$AERO_FIXTURES/exec_pipeline.so
version=$(sed -n 's/^project(aeromancy VERSION \([0-9.]*\).*/\1/p' \
  "$AERO_SOURCE_DIR/CMakeLists.txt")

case_ "--version prints host version and ABI"
run "$AEROHOST" --version
assert_rc 0
abi_major=$(sed -n 's/^#define AERO_ABI_MAJOR \([0-9]*\)/\1/p' \
  "$AERO_SOURCE_DIR/sdk/include/aeromancy/abi.h")
abi_minor=$(sed -n 's/^#define AERO_ABI_MINOR \([0-9]*\)/\1/p' \
  "$AERO_SOURCE_DIR/sdk/include/aeromancy/abi.h")
assert_contains "$out" "aerohost $version"
assert_contains "$out" "plugin ABI $abi_major.$abi_minor"
assert_eq "$err" "" "stderr"

case_ "no command"
run "$AEROHOST"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "no command given"

case_ "unknown command suggests the nearest"
run "$AEROHOST" rn "$G"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "unknown command 'rn' (did you mean run?)"

# flat TEXT: TEXT with line wrapping undone, for phrases that may wrap.
flat() { tr -s ' \n' '  ' <<<"$1"; }

# exit_codes TEXT: help documents every exit code.
exit_codes() {
  assert_contains "$1" "Exit codes:"
  local code
  for code in "0 " "1 " "2 " "3 " "128+N"; do
    assert_contains "$1" "  $code"
  done
  local text
  text=$(flat "$1")
  assert_contains "$text" "an action failed"
  assert_contains "$text" "infrastructure error while running"
  assert_contains "$text" "error before anything ran: bad flag, bad plugin, bad graph, bad config"
  assert_contains "$text" "killed by signal N"
}

case_ "aerohost --help and -h"
for h in --help -h help; do
  run "$AEROHOST" $h
  assert_rc 0
  assert_contains "$out" "aerohost run PLUGIN [options] [-- project flags]"
  assert_contains "$out" "aerohost describe PLUGIN"
  assert_contains "$out" "--version"
  exit_codes "$out"
done

# groups TEXT: the standard options of run, in their groups.
groups() {
  local task runtime
  task=$(sed -n '/^Task runner options:/,/^Runtime options:/p' <<<"$1")
  runtime=$(sed -n '/^Runtime options:/,/^Exit codes:/p' <<<"$1")
  local o
  for o in "--only SUBSTRS" "--list" "--graph" "--tags A,B" "--dry-run" \
    "-j, --jobs N" "-k, --keep-going" "--timeout SECONDS" "--no-isolation"; do
    assert_contains "$task" "$o"
  done
  for o in "--dev" "--debug" "--artifact-override NAME:VERSION" "--store PATH"; do
    assert_contains "$runtime" "$o"
  done
  assert_not_contains "$task" "--artifact-override"
}

case_ "run --help without a plugin"
run "$AEROHOST" run --help
assert_rc 0
groups "$out"
assert_contains "$out" "--builder NAME"
exit_codes "$out"

case_ "run PLUGIN --help: project options first, then the two groups"
for h in --help -h; do
  run "$AEROHOST" run "$G" $h
  assert_rc 0
  groups "$out"
  exit_codes "$out"
  project=$(sed -n '/^Project options of ldrgood/,/^Task runner options:/p' <<<"$out")
  assert_contains "$project" "-l, --learning-rate DOUBLE"
  assert_contains "$project" "Step size of the optimiser (default: 0.01)"
  assert_contains "$project" "-e, --epochs INT"
  assert_contains "$project" "--loss CHOICE"
  assert_contains "$(flat "$project")" "one of: mse, mae, huber"
  assert_contains "$project" "-s, --[no-]shuffle"
  assert_contains "$project" "--notes STRING"
  assert_contains "$project" "(no default)"
  assert_contains "$project" "[flags]"
  # One builder: no --builder to choose with.
  assert_not_contains "$out" "--builder"
  assert_eq "$err" "" "stderr"
done

case_ "help of a plugin with several builders offers --builder"
run "$AEROHOST" run "$T" --help
assert_rc 0
assert_contains "$out" "--builder NAME"
assert_contains "$out" "Project options of alpha"
assert_contains "$out" "-c, --count INT"
run "$AEROHOST" run --builder beta "$T" --help
assert_contains "$out" "Project options of beta"
assert_contains "$out" "--label STRING"

case_ "help after -- shows the same"
run "$AEROHOST" run "$G" -- --help
assert_rc 0
assert_contains "$out" "Task runner options:"
assert_contains "$out" "-l, --learning-rate DOUBLE"

case_ "list, graph and describe have help"
for cmd in list graph describe; do
  run "$AEROHOST" $cmd --help
  assert_rc 0
  assert_contains "$out" "usage: aerohost $cmd PLUGIN"
done
run "$AEROHOST" list --help
assert_contains "$out" "--json"
run "$AEROHOST" graph --help
assert_contains "$out" "--format dot|text"

case_ "describe: name, version, ABI, path, sha256, every option"
run "$AEROHOST" describe "$G"
assert_rc 0
assert_contains "$out" "name:     ldr_good"
assert_contains "$out" "version:  1.2.3"
assert_contains "$out" "abi:      $abi_major.$abi_minor"
assert_contains "$out" "path:     $G"
assert_contains "$out" "sha256:   $(sha256sum "$G" | cut -d' ' -f1)"
assert_contains "$out" "builders: ldrgood"
assert_contains "$out" "builder ldrgood: Fixture: every option type"
lr=$(sed -n '/^  --learning-rate$/,/^  --/p' <<<"$out")
assert_contains "$lr" "type:    DOUBLE"
assert_contains "$lr" "default: 0.01"
assert_contains "$lr" "short:   -l"
assert_contains "$lr" "help:    Step size of the optimiser"
loss=$(sed -n '/^  --loss$/,/^  --/p' <<<"$out")
assert_contains "$loss" "type:    CHOICE"
assert_contains "$loss" "default: mse"
assert_contains "$loss" "choices: mse, mae, huber"
shuffle=$(sed -n '/^  --shuffle$/,/^  --/p' <<<"$out")
assert_contains "$shuffle" "type:    BOOL"
assert_contains "$shuffle" "default: true"
assert_contains "$shuffle" "negate:  --no-shuffle"
assert_contains "$out" "--notes"
assert_contains "$out" "--verbose"
assert_eq "$err" "" "stderr"

case_ "describe lists every builder"
run "$AEROHOST" describe "$T"
assert_rc 0
assert_contains "$out" "builders: alpha, beta"
assert_contains "$out" "builder alpha: The first builder"
assert_contains "$out" "builder beta: The second builder"
assert_contains "$out" "default: b"
# A default is given whole, in the text and in the JSON completion reads
# (it was cut to 127 bytes).
note=$(printf 'n123456789%.0s' {1..20})
note=${note:0:197}end
assert_contains "$out" "default: $note"
run "$AEROHOST" describe "$T" --json
assert_rc 0
assert_eq "$(jq -r '.builders[] | select(.project == "beta") | .options[] |
  select(.name == "note") | .default' <<<"$out")" "$note"

case_ "list: one line per action on stdout, nothing on stderr"
run "$AEROHOST" list "$G"
assert_rc 0
assert_eq "$(grep -c '' <<<"$out")" 7
assert_eq "$(head -1 <<<"$out")" "[learning_rate] learning_rate.0.01"
assert_eq "$(tail -1 <<<"$out")" "[summary] summary"
assert_eq "$err" "" "stderr"
list_text=$out

case_ "list --json is valid JSON with every output"
run "$AEROHOST" list "$G" --json -- --epochs 3
assert_rc 0
printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
  fail "not valid JSON: $out"
assert_contains "$out" "epochs.3"
assert_contains "$out" "summary"

case_ "list --json escapes a flag that is not UTF-8"
DEMO=$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so
run "$AEROHOST" list --json "$DEMO" -- --notes $'caf\xc3\xa9 \xff"\x01\xc3('
assert_rc 0
notes=$(printf '%s' "$out" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    if "notes" in a["config"]:
        print(ascii(a["config"]["notes"]))') ||
  fail "not valid JSON: $out"
assert_eq "$notes" "'caf\\xe9 \\\\xff\"\\x01\\\\xc3('"

case_ "graph: DOT with the edges"
run "$AEROHOST" graph "$G"
assert_rc 0
assert_contains "$out" "digraph"
[[ $(grep -c -- '->' <<<"$out") -ge 6 ]] || fail "expected 6 edges: $out"
assert_eq "$err" "" "stderr"
dot_text=$out
printf '%s' "$out" | dot -Tsvg >/dev/null || fail "dot rejects it"

case_ "graph --format text"
run "$AEROHOST" graph --format text "$G"
assert_rc 0
assert_contains "$out" "summary"
assert_not_contains "$out" "digraph"

case_ "graph --format with a bad value"
run "$AEROHOST" graph --format svg "$G"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--format: 'svg' is not one of: dot, text"

case_ "run --list and run --graph behave like list and graph"
run "$AEROHOST" run "$G" --list
assert_rc 0
assert_eq "$out" "$list_text"
run "$AEROHOST" run --graph "$G"
assert_rc 0
assert_eq "$out" "$dot_text"
run "$AEROHOST" run --list --json "$G"
assert_rc 0
printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
  fail "not valid JSON: $out"
[[ ! -e $AEROMANCY_STORE/aeromancy.db ]] || fail "--list touched the store"

# bad_opt WANT ARGS...: a standard-option error, one line, exit 3.
bad_opt() {
  local want=$1
  shift
  run "$AEROHOST" "$@"
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "$want"
  assert_eq "$out" "" "nothing on stdout"
}

case_ "unknown standard option suggests the nearest"
bad_opt "unknown option --dyr-run (did you mean --dry-run?)" run "$G" --dyr-run
case_ "unknown standard option far from any hints at --"
bad_opt "project flags go after --" run "$G" --learning-rate 1
case_ "an option of another command"
bad_opt "--dev is not an option of aerohost list" list "$G" --dev
case_ "--jobs must be a whole number >= 1"
bad_opt "--jobs: '0' is not a whole number from 1" run --dev -j 0 "$G"
bad_opt "--jobs: 'two' is not a whole number from 1" run --dev --jobs=two "$G"
case_ "--timeout must be a number of seconds > 0"
bad_opt "--timeout: '0' is not a number of seconds > 0" run --dev --timeout 0 "$G"
bad_opt "--timeout: '-1' is not a number of seconds > 0" run --dev --timeout -1 "$G"
bad_opt "--timeout: 'soon' is not a number of seconds > 0" run --dev --timeout soon "$G"
case_ "an option missing its value"
bad_opt "--only needs a value (SUBSTRS)" run --dev "$G" --only
case_ "a flag that takes no value"
bad_opt "--dev takes no value" run --dev=yes "$G"
case_ "--list with --graph"
bad_opt "--list and --graph cannot be combined" run --list --graph "$G"
case_ "no plugin"
bad_opt "aerohost run: no PLUGIN given" run --dev
case_ "two plugins"
bad_opt "unexpected argument '$T'" run "$G" "$T"
case_ "describe takes no project flags"
bad_opt "aerohost describe takes no project flags" describe "$G" -- --epochs 3
case_ "--only that matches nothing"
bad_opt "" list "$G" --only nosuchjob

case_ "run: every action runs and is recorded"
run "$AEROHOST" run --dev -j 2 --timeout 60 --tags ci,front "$G" -- --epochs 5
assert_rc 0
assert_contains "$err" "[epochs] epochs.5"
assert_eq "$(sql 'SELECT count(*) FROM runs')" 7
assert_eq "$(sql "SELECT count(*) FROM run_tags WHERE tag IN ('ci', 'front')")" 14
assert_eq "$(sql 'SELECT DISTINCT project || " " || mode || " " || status FROM runs')" \
  "ldrgood dev ok"
assert_eq "$(sql 'SELECT DISTINCT plugin_sha256 FROM runs')" \
  "$(sha256sum "$G" | cut -d' ' -f1)"
assert_eq "$(sql 'SELECT DISTINCT plugin_path FROM runs')" "$G"

case_ "run --only runs the selected actions"
run "$AEROHOST" run --dev --force --only epochs "$G" -- --epochs 5
assert_rc 0
assert_contains "$err" "Running [epochs] epochs.5"
assert_not_contains "$err" "Running [loss]"

case_ "bad --tags is refused before anything runs"
runs=$(sql 'SELECT count(*) FROM runs')
bad_opt "--tags: empty tag in 'a,,b'" run --dev --tags a,,b "$G"
assert_eq "$(sql 'SELECT count(*) FROM runs')" "$runs"

case_ "bad --artifact-override is refused before anything runs"
run "$AEROHOST" run --dev --artifact-override '../x:v1' "$G"
assert_rc 3
assert_one_line "$err"
assert_eq "$(sql 'SELECT count(*) FROM runs')" "$runs"

case_ "production without the runner's environment is refused"
run "$AEROHOST" run "$G"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--dev"
assert_eq "$(sql 'SELECT count(*) FROM runs')" "$runs"

case_ "--store records in that store"
run "$AEROHOST" run --dev --store "$AERO_TMP/other-store" "$G"
assert_rc 0
[[ -e $AERO_TMP/other-store/aeromancy.db ]] || fail "no db in --store"
assert_eq "$(sql 'SELECT count(*) FROM runs')" "$runs"

case_ "a store that cannot be opened is exit 3"
: >"$AERO_TMP/not-a-dir"
run "$AEROHOST" run --dev --store "$AERO_TMP/not-a-dir/store" "$G"
assert_rc 3
assert_one_line "$err"

case_ "an action that fails makes aerohost exit 1"
run "$AEROHOST" run --dev "$X" -- --misbehave train --how fail
assert_rc 1

done_
