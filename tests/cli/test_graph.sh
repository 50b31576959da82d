#!/usr/bin/env bash
# aerohost list / graph on real fixture plugins: every bad graph is refused
# with one line naming the culprit and exit 3 before anything runs; valid
# graphs list in a deterministic order, as JSON, as DOT and as a tree.
. "$(dirname "$0")/../lib.sh"

F=$AERO_FIXTURES

# bad_graph NAME WANT: list, graph and run all refuse it the same way.
bad_graph() {
  local plugin=$F/$1.so want=$2 cmd
  for cmd in list graph run; do
    case_ "$1 ($cmd)"
    if [[ $cmd == run ]]; then
      run "$AEROHOST" run --dev "$plugin"
    else
      run "$AEROHOST" "$cmd" "$plugin"
    fi
    assert_rc 3
    assert_one_line "$err"
    assert_contains "$err" "$want"
    assert_eq "$out" "" "nothing on stdout"
  done
}

bad_graph graph_cycle \
  "cycle: [train] model -> [evaluate] report -> [train] model"
bad_graph graph_dup \
  "duplicate output 'model': declared by [train] model and by [retrain] model"
bad_graph graph_unknown_parent \
  "action [evaluate] report: unknown parent 'modle': no action outputs it"
bad_graph graph_foreign \
  "action [evaluate] report: parent 'other/model' is not an action of this graph"
bad_graph graph_bad_name \
  "invalid output name \"../etc\": '.' and '..' are not names"
bad_graph graph_long_name "is longer than 127 characters"

case_ "a refused graph records nothing"
[[ ! -e $AEROMANCY_STORE/aeromancy.db ]] ||
  assert_eq "$(sql 'SELECT count(*) FROM runs')" 0

case_ "list: topological, ties in insertion order"
run "$AEROHOST" list "$F/graph_diamond.so"
assert_rc 0
assert_eq "$out" $'[ingest] data\n[train] model\n[baseline] base\n[evaluate] report\n[notes] notes'
assert_eq "$err" ""

case_ "list is the same every time"
first=$out
run "$AEROHOST" list "$F/graph_diamond.so"
assert_eq "$out" "$first"

case_ "list --json"
run "$AEROHOST" list --json "$F/graph_diamond.so"
assert_rc 0
summary=$(printf '%s' "$out" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    print(a["job_type"], ",".join(a["outputs"]), ",".join(a["parents"]),
          a["job_group"], a["selected"])')
assert_eq "$summary" $'ingest data  None True\ntrain model data None True\nbaseline base data None True\nevaluate report model,graphdemo/base None True\nnotes notes  None True'

case_ "list --json with --only marks the selection"
run "$AEROHOST" list --json --only evaluate "$F/graph_diamond.so"
assert_rc 0
selected=$(printf '%s' "$out" | python3 -c '
import json, sys
print(" ".join(a["job_type"] for a in json.load(sys.stdin) if a["selected"]))')
assert_eq "$selected" "evaluate"

case_ "--only matching nothing"
run "$AEROHOST" list --only nosuch "$F/graph_diamond.so"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--only 'nosuch' matches no action; actions: [ingest] data, [train] model"

case_ "--only with commas only is an error, not everything"
for only in , "" " , "; do
  run "$AEROHOST" run --dev --only "$only" "$F/graph_diamond.so"
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "--only '$only' names no action"
done
[[ ! -e $AEROMANCY_STORE/aeromancy.db ]] || fail "--only ',' ran something"

case_ "graph: DOT on stdout"
run "$AEROHOST" graph "$F/graph_diamond.so"
assert_rc 0
assert_contains "$out" 'digraph "graphdemo" {'
assert_contains "$out" 'a2 [label="[ingest]\ndata"];'
for edge in "a2 -> a1;" "a2 -> a3;" "a1 -> a0;" "a3 -> a0;"; do
  assert_contains "$out" "$edge"
done
assert_eq "$(grep -c -- '->' <<<"$out")" 4
printf '%s\n' "$out" | dot -Tsvg >/dev/null || fail "dot rejects the output"

case_ "graph --format text: a tree"
run "$AEROHOST" graph --format text "$F/graph_diamond.so"
assert_rc 0
assert_eq "$out" "[ingest] data
├── [train] model
│   └── [evaluate] report
└── [baseline] base
    └── [evaluate] report (see above)
[notes] notes"

done_
