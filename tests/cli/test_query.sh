#!/usr/bin/env bash
# Reading the record back (issue 9): aeromancy runs, show and metrics on a
# store made by real runs of the examples through aerohost, checked against
# what the store's own tables hold (sqlite3), in text, tab-separated and
# JSON form; bad run ids; a read command never creating a store. Run once
# per backend (AERO_TEST_BACKEND: local, postgres).
. "$(dirname "$0")/../lib.sh"

DEMO=$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so
EXEC=$AERO_FIXTURES/exec_pipeline.so
cd "$AERO_TMP" || exit 1
A=$AEROMANCY

# assert_num_eq GOT WANT: equal as doubles (the shell prints 15 digits,
# JSON 17).
assert_num_eq() {
  awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d;
    m = b < 0 ? -b : b; exit !(a != "" && d <= 1e-12 * (m > 1 ? m : 1)) }' ||
    fail "expected $2, got $1"
}

# on_tty CMD...: runs CMD with stdout on a terminal (script's pty); the
# output, without carriage returns, in $out.
on_tty() {
  local cmd
  printf -v cmd '%q ' "$@"
  out=$(script -qec "$cmd" /dev/null | tr -d '\r')
  rc=${PIPESTATUS[0]}
}

case_ "a read command on a store that does not exist: exit 3, one line, nothing created"
# (A team store's database exists before its first run: local stores only.)
[[ $AERO_TEST_BACKEND == local ]] && for c in "runs" "show 1" "metrics 1"; do
  # shellcheck disable=SC2086
  run "$A" $c
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "no store at $AEROMANCY_STORE"
done
[[ $AERO_TEST_BACKEND != local || ! -e $AEROMANCY_STORE ]] ||
  fail "a read command created $AEROMANCY_STORE"

# The store: aerodemo twice (the second with tags and other flags, and a
# note with bytes that are not UTF-8), then a failing fixture run.
"$AEROHOST" run "$DEMO" --dev >/dev/null 2>&1 || fail "aerodemo run 1"
"$AEROHOST" run "$DEMO" --dev --tags red,blue -- --learning-rate 0.07 \
  --notes $'caf\xe9 \xff ok' >/dev/null 2>&1 || fail "aerodemo run 2"
"$AEROHOST" run "$EXEC" --dev -k -- --misbehave train --how fail >/dev/null 2>&1
[[ $? == 1 ]] || fail "the failing fixture run should exit 1"
last=$(sql "SELECT max(id) FROM runs")
train=$(sql "SELECT max(id) FROM runs WHERE job_type = 'train' AND project = 'aerodemo'")

case_ "runs: newest first, one tab-separated line per run off a terminal"
run "$A" runs
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | wc -l)" "$(sql "SELECT count(*) FROM runs")"
assert_eq "$(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')" \
  "$(sql "SELECT group_concat(id, ' ') FROM (SELECT id FROM runs ORDER BY id DESC) s") "
line=$(printf '%s\n' "$out" | grep -P "^$train\t")
assert_eq "$(printf '%s' "$line" | cut -f3,4,5)" "$(printf 'aerodemo\t[train] model\tok (dev)')"
assert_contains "$(printf '%s' "$line" | cut -f8)" "loss="

case_ "runs filters: project, job type, status, tag, mode, since, limit, before"
run "$A" runs --project aerodemo --job-type train
assert_eq "$(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')" \
  "$(sql "SELECT group_concat(id, ' ') FROM (SELECT id FROM runs WHERE project='aerodemo' AND job_type='train' ORDER BY id DESC) s") "
run "$A" runs --status failed
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | cut -f1)" \
  "$(sql "SELECT id FROM runs WHERE status = 'failed'")"
run "$A" runs --tag red
assert_eq "$(printf '%s\n' "$out" | wc -l)" 3
run "$A" runs --prod
assert_rc 0
assert_eq "$out" ""
run "$A" runs --dev --since 1h
assert_eq "$(printf '%s\n' "$out" | wc -l)" "$(sql "SELECT count(*) FROM runs")"
# Past what nanoseconds since 1970 hold in 64 bits (2262): none, and
# before it (1677): every run; no overflow either way.
run "$A" runs --since 2999-01-01
assert_rc 0
assert_eq "$out" ""
run "$A" runs --dev --since 1e300d
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | wc -l)" "$(sql "SELECT count(*) FROM runs")"
run "$A" runs --since 1200-01-01
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | wc -l)" "$(sql "SELECT count(*) FROM runs")"
run "$A" runs --limit 2
assert_eq "$(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')" "$last $((last - 1)) "
run "$A" runs --limit 2 --before $((last - 1))
assert_eq "$(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')" "$((last - 2)) $((last - 3)) "

case_ "runs --json: the schema, and next_before_id pages through"
run "$A" runs --json --limit 2
assert_rc 0
assert_eq "$(jq -r '.runs | map(.id) | join(" ")' <<<"$out")" "$last $((last - 1))"
assert_eq "$(jq -r '.next_before_id' <<<"$out")" "$((last - 1))"
run "$A" runs --json --project aerodemo --job-type train --limit 1
assert_eq "$(jq -r '.runs[0] | [.id, .project, .job_type, .output_names[0], .mode, .status, .exit_code] | join(" ")' <<<"$out")" \
  "$train aerodemo train model dev ok 0"
assert_num_eq "$(jq -r '.runs[0].last_metrics.loss' <<<"$out")" \
  "$(sql "SELECT value FROM metrics WHERE run_id = $train AND key = 'loss' ORDER BY step DESC LIMIT 1")"
run "$A" runs --json --limit 0
assert_eq "$(jq -r '.next_before_id' <<<"$out")" "null"

case_ "runs: bad options get one line and exit 3"
for bad in "--status bogus" "--since yesterday-ish" "--since infd" "--limit -1" \
  "--dev --prod" "--frobnicate" "--before x" "--since 2026-02-30" \
  "--since 2026-02-29" "--since 2026-04-31" "--since 1900-02-29T10:00"; do
  # shellcheck disable=SC2086
  run "$A" runs $bad
  assert_rc 3
  assert_one_line "$err"
done
for good in 2024-02-29 2000-02-29 2026-11-30T23:59; do # days that exist
  run "$A" runs --since "$good"
  assert_rc 0
done
# An option of one value given twice: refused, not the last one kept.
for twice in "--tag a --tag b" "--status ok --status=failed" "--limit 1 --limit 2"; do
  # shellcheck disable=SC2086
  run "$A" runs $twice
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "given twice"
done

case_ "show: config, environment, inputs and outputs with digests, metrics, log"
run "$A" show "$train"
assert_rc 0
assert_contains "$out" "$(printf 'config\tlearning_rate\t0.07')"
assert_contains "$out" "$(printf 'run\tstatus\tok')"
assert_contains "$out" "$(printf 'environment\tplugin_sha256\t%s' "$(sql "SELECT plugin_sha256 FROM runs WHERE id = $train")")"
in_digest=$(sql "SELECT v.digest FROM run_inputs i JOIN versions v ON v.id = i.version_id WHERE i.run_id = $train")
assert_contains "$out" "$(printf 'input\taerodemo/dataset:v0\t%s' "$in_digest")"
out_digest=$(sql "SELECT v.digest FROM run_outputs o JOIN versions v ON v.id = o.version_id WHERE o.run_id = $train")
assert_contains "$out" "$(printf 'output\taerodemo/model:v')"
assert_contains "$out" "$out_digest"
file_sha=$(sql "SELECT f.sha256 FROM run_outputs o JOIN version_files f ON f.version_id = o.version_id WHERE o.run_id = $train")
assert_contains "$out" "$(printf 'file\tmodel.txt\t%s' "$file_sha")"
assert_contains "$out" "$(printf 'metric\tloss\t')"
assert_contains "$out" "$(printf '\tinfo\ty = ')"

case_ "show --json: the same facts, valid JSON even for bytes that are not UTF-8"
run "$A" show "$train" --json
assert_rc 0
jq -e . <<<"$out" >/dev/null || fail "show --json is not valid JSON"
assert_eq "$(jq -r '.config.learning_rate' <<<"$out")" "0.07"
# Numbers in their shortest form, as metrics prints them (not jansson's
# 0.070000000000000007).
assert_contains "$out" '"learning_rate": 0.07,'
assert_eq "$(jq -r '.config.notes' <<<"$out")" 'caf\xe9 \xff ok'
assert_eq "$(jq -r '.tags | join(",")' <<<"$out")" "blue,red"
assert_eq "$(jq -r '.inputs[0].digest' <<<"$out")" "$in_digest"
assert_eq "$(jq -r '.outputs[0].files[0].sha256' <<<"$out")" "$file_sha"
assert_eq "$(jq -r '.outputs[0].metadata | keys | join(",")' <<<"$out")" \
  "final_loss,trained_on"
assert_eq "$(jq -r '.inputs[0].metadata.train_rows | type' <<<"$out")" number
assert_eq "$(jq -r '.metrics.loss.count' <<<"$out")" \
  "$(sql "SELECT count(*) FROM metrics WHERE run_id = $train AND key = 'loss'")"
assert_num_eq "$(jq -r '.metrics.loss.min' <<<"$out")" \
  "$(sql "SELECT min(value) FROM metrics WHERE run_id = $train AND key = 'loss'")"
assert_contains "$(jq -r '.environment.command_line' <<<"$out")" \
  "--notes 'caf\\xe9 \\xff ok'"

case_ "show of a failed run: status and reason"
failed=$(sql "SELECT id FROM runs WHERE status = 'failed'")
run "$A" show "$failed" --json
assert_eq "$(jq -r '.status' <<<"$out")" "failed"
assert_eq "$(jq -r '.message' <<<"$out")" "$(sql "SELECT message FROM runs WHERE id = $failed")"

case_ "an unknown or malformed run id: one line naming it and the nearest, exit 3"
for c in show metrics; do
  run "$A" $c 99999
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "no run 99999"
  assert_contains "$err" "(nearest: $last)"
  run "$A" $c abc
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "'abc' is not a run id"
done

case_ "metrics: every point, streamed, as text, CSV and JSON, by key"
run "$A" metrics "$train"
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | wc -l)" "$(sql "SELECT count(*) FROM metrics WHERE run_id = $train")"
assert_num_eq "$(printf '%s\n' "$out" | awk -F'\t' '$1 == "loss" && $2 == 3 {print $3}')" \
  "$(sql "SELECT value FROM metrics WHERE run_id = $train AND key = 'loss' AND step = 3")"
run "$A" metrics "$train" --csv
assert_eq "$(printf '%s\n' "$out" | head -1)" "key,step,value,time"
assert_eq "$(printf '%s\n' "$out" | tail -n +2 | wc -l)" "$(sql "SELECT count(*) FROM metrics WHERE run_id = $train")"
evaluate=$(sql "SELECT max(id) FROM runs WHERE job_type = 'evaluate' AND project = 'aerodemo'")
run "$A" metrics "$evaluate" test_r2 --json
assert_rc 0
assert_eq "$(jq -r 'length' <<<"$out")" 1
assert_eq "$(jq -r '.[0].key + " " + (.[0].step|tostring)' <<<"$out")" "test_r2 null"
# A KEY given twice streams its points once.
run "$A" metrics "$train" loss
once=$out
run "$A" metrics "$train" loss loss
assert_rc 0
assert_eq "$out" "$once" "loss given twice"
# KEYs are a filter: their points come in key order, as in the whole
# listing, whatever the order they are given in (both backends).
run "$A" metrics "$evaluate"
whole=$(printf '%s\n' "$out" | grep -E $'^(test_mae|test_r2)\t')
run "$A" metrics "$evaluate" test_r2 test_mae
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | cut -f1 | uniq | tr '\n' ' ')" "test_mae test_r2 "
assert_eq "$out" "$whole" "test_r2 test_mae against the whole listing"
run "$A" metrics "$evaluate" test_mae test_r2
assert_eq "$out" "$whole" "test_mae test_r2 against the whole listing"
# A KEY the run never logged is named, with its nearest key, and exit 3:
# not an empty answer that looks like success (the JSON stays well-formed).
run "$A" metrics "$evaluate" no_such_key --json
assert_rc 3
assert_eq "$(jq -r 'length' <<<"$out")" 0
assert_one_line "$err"
assert_contains "$err" "run $evaluate has no metric 'no_such_key' (its metrics: "
run "$A" metrics "$evaluate" test_r2 test_r
assert_rc 3
assert_eq "$(printf '%s\n' "$out" | cut -f1 | sort -u)" "test_r2"
assert_eq "$err" "aeromancy metrics: run $evaluate has no metric 'test_r' (nearest: test_r2)"
run "$A" metrics "$(sql "SELECT max(id) FROM runs WHERE job_type = 'ingest'")" loss
assert_rc 3
assert_contains "$err" "has no metric 'loss' (it logged no metrics)"
# Words past what a command takes are named, with how many it takes.
run "$A" metrics "$evaluate" k1 k2 k3 k4 k5 k6 k7 k8
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "unexpected argument 'k8' (aeromancy metrics takes at most 8)"
run "$A" show "$train" "$evaluate"
assert_rc 3
assert_contains "$err" "unexpected argument '$evaluate' (aeromancy show takes at most 1)"
run "$A" runs "$train"
assert_rc 3
assert_contains "$err" "unexpected argument '$train' (aeromancy runs takes no operand)"

case_ "on a terminal: aligned columns, colour, and none with NO_COLOR"
on_tty "$A" runs
assert_rc 0
assert_not_contains "$out" $'\t'
assert_contains "$out" "ID"
assert_contains "$out" $'\e[32mok'
on_tty env NO_COLOR=1 "$A" runs
assert_not_contains "$out" $'\e['
on_tty env NO_COLOR=1 "$A" show "$train"
assert_contains "$out" "config"
assert_not_contains "$out" $'\t'

case_ "a run's summary line ends with its run ids and the store"
run "$AEROHOST" run "$DEMO" --dev --force
assert_rc 0
first=$(sql "SELECT max(id) - 2 FROM runs")
assert_contains "$err" "3 ok, 0 failed, 0 skipped in "
assert_contains "$err" "; runs $first-$((first + 2)) in $AEROMANCY_STORE"
run "$AEROHOST" run "$DEMO" --dev --only train
assert_contains "$err" "; run $((first + 3)) in $AEROMANCY_STORE"
if [[ $AERO_TEST_BACKEND == local ]]; then
  run env AEROMANCY_STORE="$HOME/st" "$AEROHOST" run "$DEMO" --dev
  assert_contains "$(printf '%s' "$err" | tail -1)" "; runs 1-3 in ~/st"

  case_ "a run or artifact not in a store under the home folder: the store named ~/..."
  run env AEROMANCY_STORE="$HOME/st" "$A" show 999
  assert_rc 3
  assert_eq "$err" "aeromancy show: no run 999 in ~/st (nearest: 3)"
  run env AEROMANCY_STORE="$HOME/st" "$A" artifacts modle
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "no artifact 'modle' in ~/st (nearest: aerodemo/model:v"
fi

case_ "diff: config, flags, outputs by digest, last metrics; only what differs unless --all"
t1=$(sql "SELECT min(id) FROM runs WHERE job_type = 'train' AND project = 'aerodemo'")
run "$A" diff "$t1" "$train" --json
assert_rc 0
rows=$(jq -c '.rows' <<<"$out")
assert_eq "$(jq -r 'map(select(.section == "config" and .key == "learning_rate")) | .[0] | "\(.a) \(.b) \(.same)"' <<<"$rows")" \
  "$(sql "SELECT value FROM run_config WHERE run_id = $t1 AND key = 'learning_rate'") 0.07 false"
assert_eq "$(jq -r 'map(select(.section == "outputs")) | .[0].key' <<<"$rows")" "aerodemo/model"
assert_eq "$(jq -r 'map(select(.section == "flags")) | .[0].b' <<<"$rows")" \
  "--learning-rate 0.07 --notes 'caf\\xe9 \\xff ok'"
assert_eq "$(jq -r 'map(select(.section == "metrics" and .key == "loss")) | length' <<<"$rows")" 1
assert_eq "$(jq -r 'map(select(.same)) | length' <<<"$rows")" 0
assert_eq "$(jq -r 'map(select(.section == "inputs")) | length' <<<"$rows")" 0
# The run itself: its duration too, as the help says (each run's own).
assert_eq "$(jq -r 'map(select(.section == "run" and .key == "duration_s")) | .[0] | "\(.a) \(.b)"' <<<"$rows")" \
  "$("$A" show "$t1" --json | jq -r .duration_s) $("$A" show "$train" --json | jq -r .duration_s)"
run "$A" diff "$t1" "$train" --all --json
assert_eq "$(jq -r '.rows | map(select(.section == "inputs" and .same)) | .[0].key' <<<"$out")" "aerodemo/dataset"
run "$A" diff "$t1" "$t1"
assert_rc 0
assert_eq "$out" ""
run "$A" diff "$t1" "$train"
assert_contains "$out" "$(printf 'config\tlearning_rate\t')"
run "$A" diff "$t1" 99999
assert_rc 3
assert_one_line "$err"

case_ "artifacts: every version with its producing run; NAME with its files"
run "$A" artifacts
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | cut -f1 | sort | tr '\n' ' ')" \
  "$(sql "SELECT group_concat(r, ' ') FROM (SELECT project || '/' || name || ':v' || version AS r FROM artifact_versions ORDER BY r) s") "
model_run=$(sql "SELECT run_id FROM artifact_versions WHERE name = 'model' AND version = 0")
assert_eq "$(printf '%s\n' "$out" | awk -F'\t' '$1 == "aerodemo/model:v0" {print $6}')" "$model_run"
run "$A" artifacts aerodemo/model --json
assert_rc 0
assert_eq "$(jq -r '.artifacts | map(.ref) | join(" ")' <<<"$out")" \
  "$(sql "SELECT group_concat(r, ' ') FROM (SELECT 'aerodemo/model:v' || version AS r FROM artifact_versions WHERE name = 'model' ORDER BY version) s")"
assert_eq "$(jq -r '.artifacts[0].files[0].path' <<<"$out")" "model.txt"
# The metadata the action attached to each version, typed as recorded.
v0=$(jq -r '.artifacts[0].id' <<<"$out")
assert_eq "$(jq -r '.artifacts[0].metadata.final_loss | type' <<<"$out")" number
assert_num_eq "$(jq -r '.artifacts[0].metadata.final_loss' <<<"$out")" \
  "$(sql "SELECT value FROM version_metadata WHERE version_id = $v0 AND key = 'final_loss'")"
assert_eq "$(jq -r '.artifacts[0].metadata.trained_on' <<<"$out")" \
  "$(sql "SELECT value FROM version_metadata WHERE version_id = $v0 AND key = 'trained_on'")"
assert_contains "$(jq -r '.artifacts[0].metadata.trained_on' <<<"$out")" "aerodemo/dataset:v"
run "$A" artifacts modle
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "no artifact 'modle'"
assert_contains "$err" "(nearest: aerodemo/model:v"
run "$A" artifacts model:v99
assert_rc 3
assert_contains "$err" "(nearest: aerodemo/model:v"

case_ "lineage: up to the versions nobody produced, down to the consumers"
report=$(sql "SELECT max(version) FROM artifact_versions WHERE name = 'report'")
run "$A" lineage "aerodemo/report:v$report" --format json
assert_rc 0
assert_eq "$(jq -r '.direction' <<<"$out")" "up"
assert_eq "$(jq -r '[.runs[].job_type] | sort | join(" ")' <<<"$out")" "evaluate ingest train"
assert_eq "$(jq -r '[.versions[].name] | sort | join(" ")' <<<"$out")" "dataset model report"
run "$A" lineage "aerodemo/report:v$report"
assert_contains "$out" "<- run"
assert_contains "$out" "[ingest] dataset"
run "$A" lineage aerodemo/dataset:v0 --down --format json
assert_rc 0
assert_eq "$(jq -r '.direction' <<<"$out")" "down"
assert_eq "$(jq -r '[.runs[].id] | sort | map(tostring) | join(" ")' <<<"$out")" \
  "$(sql "SELECT group_concat(run_id, ' ') FROM (SELECT DISTINCT i.run_id AS run_id FROM run_inputs i JOIN versions v ON v.id = i.version_id JOIN artifacts a ON a.id = v.artifact_id WHERE a.name IN ('dataset', 'model') AND a.project = 'aerodemo' ORDER BY run_id) s")"
run "$A" lineage report --format dot
assert_rc 0
printf '%s\n' "$out" | dot -Tsvg >/dev/null 2>&1 || fail "lineage --format dot is not valid Graphviz"
assert_contains "$out" '-> "v:aerodemo/report:v'
run "$A" lineage report --format yaml
assert_rc 3
assert_one_line "$err"

case_ "path and export: the version's files, read-only, hard-linked"
run "$A" path aerodemo/model:v0
assert_rc 0
[[ -d $out && -f $out/model.txt && $(stat -c %a "$out/model.txt") == 444 ]] ||
  fail "path gave $out"
# An empty destination is a bad argument (3), not a store failure (2).
run "$A" export aerodemo/dataset:v0 ""
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "the destination folder is empty"
run "$A" export aerodemo/dataset:v0 "$AERO_TMP/exported"
assert_rc 0
for f in train.csv test.csv; do
  sha=$(sql "SELECT f.sha256 FROM version_files f JOIN artifact_versions v ON v.version_id = f.version_id WHERE v.name = 'dataset' AND v.version = 0 AND f.path = '$f'")
  assert_eq "$(sha256sum <"$AERO_TMP/exported/$f" | cut -d' ' -f1)" "$sha"
  assert_eq "$(stat -c %a "$AERO_TMP/exported/$f")" 444
  # Hard links to the stored blob (the team store: to its local cache); a
  # small blob kept in the local store's database has no file to link to:
  # a copy of its bytes (checked above).
  if [[ $AERO_TEST_BACKEND != postgres &&
    $(sql "SELECT count(*) FROM inline_blobs WHERE sha256 = '$sha'") == 1 ]]; then
    continue
  elif [[ $AERO_TEST_BACKEND == postgres ]]; then
    stored=$AEROMANCY_CACHE/blobs/${sha:0:2}/${sha:2}
  else
    stored=$(blob_file "$sha")
  fi
  assert_eq "$(stat -c %i "$AERO_TMP/exported/$f")" "$(stat -c %i "$stored")"
done
run "$A" export aerodemo/dataset:v0 "$AERO_TMP/exported"
assert_rc 3
assert_contains "$err" "File exists"
run "$A" export nothing "$AERO_TMP/x"
assert_rc 3
[[ ! -e $AERO_TMP/x ]] || fail "export of an unknown artifact created its folder"

case_ "--store PATH: every read command reads that store, and never creates one"
if [[ $AERO_TEST_BACKEND == local ]]; then
  for c in "runs" "show $train" "metrics $train" "diff $train $train" \
    "artifacts" "lineage aerodemo/dataset:v0" "path aerodemo/dataset:v0" "fsck"; do
    # shellcheck disable=SC2086
    run env AEROMANCY_STORE="$AERO_TMP/elsewhere" "$A" $c --store "$AEROMANCY_STORE"
    assert_rc 0
    # shellcheck disable=SC2086
    run "$A" $c --store "$AERO_TMP/none"
    assert_rc 3
    assert_one_line "$err"
    assert_contains "$err" "no store at $AERO_TMP/none"
  done
  [[ ! -e $AERO_TMP/none && ! -e $AERO_TMP/elsewhere ]] || fail "a read command created a store"
fi

case_ "an answer that cannot be written is never a success: exit 2, one line"
# A full disk (/dev/full) or a closed stdout: text and JSON, and the help.
for c in "runs" "runs --json" "show $train" "show $train --json" \
  "metrics $train" "metrics $train --json" "metrics $train --csv" \
  "diff $train $train --all" "diff $train $train --json" "artifacts" \
  "artifacts --json" "lineage aerodemo/dataset:v0" \
  "lineage aerodemo/dataset:v0 --format json" "path aerodemo/dataset:v0" \
  "runs --help" "--help" "--version"; do
  # shellcheck disable=SC2086
  "$A" $c >/dev/full 2>"$AERO_TMP/err"
  rc=$?
  err=$(cat "$AERO_TMP/err")
  [[ $rc == 2 ]] || fail "aeromancy $c >/dev/full: exit $rc, not 2 ($err)"
  assert_one_line "$err"
  assert_contains "$err" "cannot write to standard output"
done
"$A" runs >&- 2>"$AERO_TMP/err"
rc=$?
assert_eq "$rc" 2 "aeromancy runs with stdout closed"
assert_contains "$(cat "$AERO_TMP/err")" "cannot write to standard output"

case_ "--help of every read command, and aeromancy --help lists them"
for c in runs show metrics diff artifacts lineage export path; do
  run "$A" $c --help
  assert_rc 0
  assert_contains "$out" "usage: aeromancy $c"
  # --store's default is the store rule, which aerohost and the runner share.
  # (the help is wrapped: compared with its spaces and line breaks squeezed)
  assert_contains "$(tr -s ' \n' '  ' <<<"$out")" "else \$XDG_DATA_HOME/aeromancy, else"
  # Its exit codes are those a read returns: no action runs.
  assert_contains "$out" "Exit codes:"
  [[ $out != *"an action failed"* && $out != *"killed by signal"* ]] ||
    fail "aeromancy $c --help lists exit codes of a command that runs actions"
  # ... in the words of a read (not "nothing ran: ... dirty tree").
  assert_contains "$(tr -s ' \n' '  ' <<<"$out")" "2 reading the record: the store could not be read"
  [[ $out != *"dirty tree"* ]] || fail "aeromancy $c --help lists the exit codes of go"
done
run "$A" runs --help
assert_contains "$(tr -s ' \n' '  ' <<<"$out")" "skipped, bailed or reused"
run "$A" --help
assert_contains "$out" "runs "
assert_contains "$out" "metrics "

case_ "a missing operand is named in one line, from the command's usage"
run "$A" diff 1
assert_rc 3
assert_one_line "$err"
assert_eq "$err" "aeromancy: missing RUN (see aeromancy diff --help)"
run "$A" export "aerodemo/model"
assert_rc 3
assert_eq "$err" "aeromancy: missing DIR (see aeromancy export --help)"
run "$A" store
assert_rc 3
assert_eq "$err" "aeromancy: missing 'copy' (see aeromancy store --help)"

case_ "metrics: every value reads back as exactly the stored double, in its shortest form"
# Tricky and random doubles written into the store as IEEE values (a block
# packed by Python), then compared bit for bit with what text, CSV and JSON say, and
# in length with Python's repr (the shortest decimal that reads back). The
# formatting is the runner's, the same for every backend.
if [[ $AERO_TEST_BACKEND == local ]]; then
  tricky=$(sql "SELECT max(id) FROM runs WHERE job_type = 'train' AND project = 'aerodemo'")
  python3 - "$AEROMANCY_STORE/aeromancy.db" "$tricky" <<'PY' || fail "could not add the tricky points"
import math, random, sqlite3, struct, sys
random.seed(9)
vals = [0.1, 0.2, 0.1 + 0.2, 1 / 3, 2 / 3, 1e-4, 1e-5, 1e-6, 1.5e-7, 1e-7,
        5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.0, -0.0,
        4503599627370495.5, 2251799813685248.5, 9007199254740993.0, 1e15,
        1e16, 1e22, 1e23, 123456.789, -2.5, 2.0 ** -20, 0.9999999999999999,
        9.999999999999999e-07, 1.0000000000000002e-06, 3.0, -1.0]
vals += [math.nextafter(2.0 ** e, d) for e in range(-30, 60) for d in (0, math.inf)]
while len(vals) < 4000:
    v = struct.unpack('<d', struct.pack('<Q', random.getrandbits(64)))[0]
    if math.isfinite(v):
        vals.append(v)
vals += [random.random() for _ in range(2000)]
vals += [10 ** random.uniform(-8, 17) for _ in range(2000)]
db = sqlite3.connect(sys.argv[1])
n = len(vals)  # one block (docs/store.md): steps 0..n-1, times 0
with db:
    db.execute("INSERT INTO metric_blocks (run_id, key, count, first_step, "
               "last_step, steps, vals, times) VALUES (?, 'tricky', ?, 0, ?, "
               "?, ?, ?)", (int(sys.argv[2]), n, n - 1,
                            struct.pack('<%dq' % n, *range(n)),
                            struct.pack('<%dd' % n, *vals),
                            struct.pack('<%dq' % n, *[0] * n)))
PY
  check_values() { # FORMAT: the points in $out against the store
    printf '%s\n' "$out" >"$AERO_TMP/points"
    python3 - "$AEROMANCY_STORE/aeromancy.db" "$tricky" "$1" "$AERO_TMP/points" <<'PY'
import json, re, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
want = dict(db.execute("SELECT step, value FROM metrics WHERE run_id = ? AND key = 'tricky'",
                       (int(sys.argv[2]),)))
bits = lambda v: struct.pack('<d', v)
digits = lambda t: len(re.sub(r'^0+|0+$', '', re.sub(r'[^0-9]', '', t.split('e')[0]))) or 1
lines = open(sys.argv[4]).read().splitlines()
if sys.argv[3] == 'json':
    points = json.loads('\n'.join(lines), parse_float=str, parse_int=str)
    got = [(int(p['step']), p['value'], float(p['value'])) for p in points]
else:
    sep = ',' if sys.argv[3] == 'csv' else '\t'
    rows = [l.split(sep) for l in lines[1 if sys.argv[3] == 'csv' else 0:]]
    got = [(int(r[1]), r[2], float(r[2])) for r in rows]
assert len(got) == len(want), (len(got), len(want))
for step, text, value in got:
    assert bits(value) == bits(want[step]), (step, text, repr(want[step]))
    assert digits(text) <= digits(repr(want[step])), (text, repr(want[step]))
PY
  }
  for f in text csv json; do
    flag=--$f
    [[ $f == text ]] && flag=
    run "$A" metrics "$tricky" tricky $flag
    assert_rc 0
    check_values "$f" || fail "metrics --$f: a value does not read back exactly or is not shortest"
  done
fi

case_ "metrics: a key with a comma and quotes is one CSV field (RFC 4180)"
"$AEROHOST" run --dev "$AERO_FIXTURES/trk_pipeline.so" -- \
  --metric-key 'a,b "c"' >/dev/null 2>&1 || fail "trk_pipeline"
trk=$(sql "SELECT max(id) FROM runs WHERE project = 'trk' AND job_type = 'train'")
run "$A" metrics "$trk" --csv
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
print(sorted({r[0] for r in rows[1:] if len(r) == 4} - {"loss"}),
      sum(len(r) != 4 for r in rows))')" "['a,b \"c\"'] 0" "the keys read back by a CSV reader, and rows of other widths"
run "$A" metrics "$trk" 'a,b "c"'
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | cut -f1)" 'a,b "c"'

done_
