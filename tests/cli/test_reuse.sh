#!/usr/bin/env bash
# Reuse: an action whose code, config, inputs, outputs and mode match a past
# successful run is not executed; a run `reused` is recorded instead,
# pointing at that run and holding its output versions. On the aerodemo
# example (a flag change, a plugin rebuilt with a code change) and the
# reuse_pipeline fixture ([source] raw -> [train] model -> [report]
# report), on a real store. Run once per backend (AERO_TEST_BACKEND: local,
# postgres): a blob deleted or damaged is one in the folder or the bucket.
. "$(dirname "$0")/../lib.sh"

R=$AERO_FIXTURES/reuse_pipeline.so
inc="$AERO_SOURCE_DIR/sdk/include"
cd "$AERO_TMP" || exit 1

# status JOB: the status of the latest run of JOB.
status() {
  sql "SELECT status FROM runs WHERE job_type = '$1' ORDER BY id DESC LIMIT 1"
}
# statuses: "job:status" of the latest run of each job, in run order.
statuses() {
  sql "SELECT job_type || ':' || status FROM runs WHERE id IN (SELECT max(id)
       FROM runs GROUP BY job_type) ORDER BY id" | tr '\n' ' '
}
# demo NAME [CODE]: builds examples/aerodemo as $AERO_TMP/NAME.so, with the
# line CODE added to its actions (a code change).
demo() {
  mkdir -p "$AERO_TMP/src-$1"
  cp "$AERO_SOURCE_DIR"/examples/aerodemo/*.[ch] "$AERO_TMP/src-$1/"
  [[ -z ${2:-} ]] || printf '%s\n' "$2" >>"$AERO_TMP/src-$1/actions.c"
  cc -std=gnu11 -O1 -shared -fPIC -fvisibility=hidden -I"$inc" \
    -o "$AERO_TMP/$1.so" "$AERO_TMP/src-$1"/*.c -lm ||
    fail "cannot build the demo plugin $1"
}

demo demo1
demo demo2 'int aerodemo_tweak(void); int aerodemo_tweak(void) { return 2; }'
new_store demo_store

case_ "an unchanged re-run reuses every action"
run "$AEROHOST" run --dev "$AERO_TMP/demo1.so"
assert_rc 0
assert_contains "$err" "3 ok, 0 failed"
run "$AEROHOST" run --dev "$AERO_TMP/demo1.so"
assert_rc 0
assert_contains "$err" "[1/3] Reused [ingest] dataset (run 1, "
assert_contains "$err" "[2/3] Reused [train] model (run 2, "
assert_contains "$err" "[3/3] Reused [evaluate] report (run 3, "
assert_contains "$err" "0 ok, 3 reused, 0 failed, 0 skipped in "
assert_not_contains "$err" "Running"
assert_eq "$(sql "SELECT group_concat(reused_run, ',') FROM runs WHERE
  status = 'reused'")" "1,2,3"
assert_eq "$(sql "SELECT count(*) FROM run_outputs WHERE run_id = 5")" 1
assert_eq "$(sql "SELECT version_id FROM run_outputs WHERE run_id = 5")" \
  "$(sql "SELECT version_id FROM run_outputs WHERE run_id = 2")" \
  "the reused run holds the same version"
assert_eq "$(sql "SELECT count(*) FROM run_inputs WHERE run_id = 6")" 2 \
  "a reused run records what it read"
# A metric of it is the run's it stands for: said so, not "no metric".
run "$AEROMANCY" metrics 5 loss
assert_rc 3
assert_contains "$err" "run 5 has no metric 'loss' (it was reused: its metrics are run 2's"
# What aeromancy show and runs say of it: the run it stands for.
run "$AEROMANCY" show 5 --json
assert_rc 0
assert_eq "$(jq -r '.status + " " + (.reused_run | tostring)' <<<"$out")" "reused 2"
run "$AEROMANCY" show 2 --json
assert_eq "$(jq -r '.reused_run' <<<"$out")" null "a run that ran stands for none"
run "$AEROMANCY" show 5
assert_contains "$out" $'run\treused_run\t2'
run "$AEROMANCY" runs --json
assert_eq "$(jq -r '[.runs[] | .reused_run // 0] | join(",")' <<<"$out")" "3,2,1,0,0,0"

case_ "one flag of aerodemo changed: only train and evaluate run"
run "$AEROHOST" run --dev "$AERO_TMP/demo1.so" -- --epochs 41
assert_rc 0
assert_contains "$err" "[1/3] Reused [ingest] dataset"
assert_contains "$err" "[2/3] Running [train] model"
assert_contains "$err" "[3/3] Running [evaluate] report"
assert_contains "$err" "2 ok, 1 reused, 0 failed"

case_ "--dry-run says what would be reused and which part of the key changed"
run "$AEROHOST" run --dev --dry-run "$AERO_TMP/demo1.so" -- --epochs 42
assert_rc 0
assert_contains "$out" "3 actions, 2 to run, 1 to reuse, 0 skipped"
assert_contains "$out" "[1/3] reuse [ingest] dataset: run 1, "
assert_contains "$out" "[2/3] run  [train] model <- dataset: config changed"
assert_contains "$out" \
  "[3/3] run  [evaluate] report <- model dataset: inputs may change: [train] model runs"
runs=$(sql "SELECT count(*) FROM runs")
run "$AEROHOST" run --dev --dry-run "$AERO_TMP/demo2.so" -- --epochs 41
assert_contains "$out" "[1/3] run  [ingest] dataset: code changed"
assert_eq "$(sql "SELECT count(*) FROM runs")" "$runs" "a dry run records nothing"

case_ "the plugin rebuilt with a code change: everything runs"
run "$AEROHOST" run --dev "$AERO_TMP/demo2.so" -- --epochs 41
assert_rc 0
assert_contains "$err" "3 ok, 0 failed"
assert_not_contains "$err" "Reused"

case_ "--force runs everything; --force-only the matching actions"
run "$AEROHOST" run --dev --force "$AERO_TMP/demo2.so" -- --epochs 41
assert_rc 0
assert_contains "$err" "3 ok, 0 failed"
run "$AEROHOST" run --dev --force-only train "$AERO_TMP/demo2.so" -- --epochs 41
assert_rc 0
assert_contains "$err" "[1/3] Reused [ingest] dataset"
assert_contains "$err" "[2/3] Running [train] model"
# The same model again: the same version, so evaluate is reused.
assert_contains "$err" "[3/3] Reused [evaluate] report"
run "$AEROHOST" run --dev --force-only , "$AERO_TMP/demo2.so"
assert_rc 3
assert_contains "$err" "--force-only: ',' names no action"
# A typo forces nothing: an error naming it, as --only, before anything runs.
before=$(sql "SELECT count(*) FROM runs")
run "$AEROHOST" run --dev --force-only trian "$AERO_TMP/demo2.so" -- --epochs 41
assert_rc 3
assert_contains "$err" "--force-only 'trian' matches no action; actions: [ingest] dataset"
assert_eq "$(sql "SELECT count(*) FROM runs")" "$before" "runs after a bad --force-only"

new_store main_store

case_ "production reuses only production runs"
run "$AEROHOST" run --dev "$R"
run "$AEROHOST" run --dev "$R"
assert_contains "$err" "0 ok, 3 reused"
# Production needs the runner's facts; these stand in for them.
printf 'ii  libc6  2.36\n' >"$AERO_TMP/packages.txt"
prod() {
  run env AEROMANCY_GIT_COMMIT=0123456789abcdef AEROMANCY_IMAGE_ID=sha256:feed \
    AEROMANCY_GIT_BRANCH=feature AEROMANCY_PACKAGES_FILE="$AERO_TMP/packages.txt" \
    "$AEROHOST" run "$R" "$@"
}
prod
assert_rc 0
assert_contains "$err" "3 ok, 0 failed"
prod
assert_contains "$err" "0 ok, 3 reused"
assert_eq "$(sql "SELECT count(*) FROM runs r JOIN runs p ON p.id = r.reused_run
  WHERE r.status = 'reused' AND r.mode <> p.mode")" 0 "never across modes"

case_ "an overridden input version: its dependents run"
run "$AEROHOST" run --dev --only source "$R" -- --seed 2
assert_contains "$err" "[1/3] Running [source] raw"
run "$AEROHOST" run --dev "$R" -- --seed 2
assert_contains "$err" "[2/3] Running [train] model"
run "$AEROHOST" run --dev "$R" -- --seed 2
assert_contains "$err" "0 ok, 3 reused"
run "$AEROHOST" run --dev --artifact-override raw:v0 "$R" -- --seed 2
assert_rc 0
assert_contains "$err" "[1/3] Reused [source] raw"
assert_contains "$err" "[2/3] Reused [train] model"
# v0 was read by train before, with this config: that run is reused. A
# version train never read makes it run, and what depends on it:
run "$AEROHOST" run --dev --only source "$R" -- --seed 3
v=$(sql "SELECT max(version) FROM artifact_versions WHERE name = 'raw'")
run "$AEROHOST" run --dev "$R" -- --seed 4
assert_contains "$err" "[2/3] Running [train] model"
run "$AEROHOST" run --dev --artifact-override "raw:v$v" "$R" -- --seed 4
assert_rc 0
assert_contains "$err" "[1/3] Reused [source] raw"
assert_contains "$err" "[2/3] Running [train] model"
assert_contains "$err" "[3/3] Running [report] report"
assert_contains "$(cat "$(blob_file "$(sql "SELECT f.sha256 FROM version_files f
  JOIN run_outputs o ON o.version_id = f.version_id WHERE o.run_id = (SELECT
  max(id) FROM runs WHERE job_type = 'train')")")")" "model of raw 3 x 1"

case_ "a deleted reused blob: the action runs and stores it again"
# Blob files from here on (test_inline_blobs.sh damages rows).
export AEROMANCY_INLINE_MAX=0
new_store store2
run "$AEROHOST" run --dev "$R"
run "$AEROHOST" run --dev "$R"
assert_contains "$err" "0 ok, 3 reused"
model=$(sql "SELECT f.sha256 FROM version_files f JOIN run_outputs o ON
  o.version_id = f.version_id WHERE o.run_id = (SELECT max(id) FROM runs
  WHERE job_type = 'train')")
blob=$(blob_file "$model")
[[ -f $blob ]] || fail "no blob at $blob"
rm -f "$blob"
run "$AEROHOST" run --dev "$R"
assert_rc 0
assert_contains "$err" "[1/3] Reused [source] raw"
assert_contains "$err" "[2/3] Running [train] model"
# The same content: the same version, so report is reused.
assert_contains "$err" "[3/3] Reused [report] report"
[[ -f $blob ]] || fail "the model's blob was not stored again"

case_ "a damaged reused blob (another size) is not trusted either"
printf 'x' >>"$blob"
# Its seal (the local store's modification time) put back: only its size
# tells.
touch -d @0 "$blob"
run "$AEROHOST" run --dev "$R"
assert_rc 0
assert_contains "$err" "[2/3] Running [train] model"

case_ "a past run that no longer holds one of its outputs is not reused"
run "$AEROHOST" run --dev "$R" -- --seed 11
run "$AEROHOST" run --dev "$R" -- --seed 11
assert_contains "$err" "0 ok, 3 reused"
# As if its version were gone: every run with this key that holds it lets
# it go, so the newest one lists an output it no longer holds.
# (Its own outputs: in both stores a reused run's are its reused run's.)
sql "DELETE FROM run_own_outputs WHERE run_id IN (SELECT k.run_id FROM run_keys
  k JOIN runs r ON r.id = k.run_id WHERE r.job_type = 'train' AND
  r.status = 'ok')"
run "$AEROHOST" run --dev "$R" -- --seed 11
assert_rc 0
assert_contains "$err" "[1/3] Reused [source] raw"
assert_contains "$err" "[2/3] Running [train] model"

case_ "a past run whose output version is no longer published is not reused"
run "$AEROHOST" run --dev "$R" -- --seed 12
run "$AEROHOST" run --dev "$R" -- --seed 12
assert_contains "$err" "0 ok, 3 reused"
# As a version not published: every run with this key still lists it.
sql "UPDATE versions SET published = 0, version = NULL WHERE id IN (SELECT
  o.version_id FROM run_outputs o JOIN runs r ON r.id = o.run_id WHERE
  r.job_type = 'train' AND r.status = 'ok' AND r.id IN (SELECT run_id FROM
  run_keys))"
run "$AEROHOST" run --dev "$R" -- --seed 12
assert_rc 0
assert_contains "$err" "[1/3] Reused [source] raw"
assert_contains "$err" "[2/3] Running [train] model"

case_ "a volatile action always runs"
run "$AEROHOST" run --dev "$R" -- --volatile-source
run "$AEROHOST" run --dev "$R" -- --volatile-source
assert_rc 0
assert_contains "$err" "[1/3] Running [source] raw"
assert_contains "$err" "[2/3] Reused [train] model"
run "$AEROHOST" run --dev --dry-run "$R" -- --volatile-source
assert_contains "$out" "[1/3] run  [source] raw: volatile"

case_ "code_version stands for the plugin: a rebuilt plugin does not rerun it"
# A store of its own: on the cases' store the first run below reuses
# [source] from run 1 (raw v0), while the rebuilt one's [source] runs and
# declares that content again, which the store now holds as its latest
# version (v3, the same bytes): another version for [train] to read.
new_store code_version
cp "$R" "$AERO_TMP/rebuilt.so"
run "$AEROHOST" run --dev "$AERO_TMP/rebuilt.so" -- --train-version t1
printf '\0' >>"$AERO_TMP/rebuilt.so" # another SHA-256, same code
run "$AEROHOST" run --dev "$AERO_TMP/rebuilt.so" -- --train-version t1
assert_rc 0
assert_contains "$err" "[1/3] Running [source] raw"
assert_contains "$err" "[2/3] Reused [train] model"
assert_contains "$err" "[3/3] Running [report] report"
run "$AEROHOST" run --dev "$AERO_TMP/rebuilt.so" -- --train-version t2
assert_contains "$err" "[2/3] Running [train] model"

case_ "an action that read an artifact no parent makes is never reused"
# report also reads bench/ext, another project's artifact: its latest
# version is known only once report runs, so its key cannot hold it.
new_store outside
printf 'one\n' >"$AERO_TMP/ext.txt"
run "$AEROHOST" run --dev "$AERO_FIXTURES/bench_hash.so" -- \
  --file "$AERO_TMP/ext.txt" --name ext
assert_rc 0
for isolation in "" --no-isolation; do
  run "$AEROHOST" run --dev $isolation "$R" -- --also-read bench/ext
  assert_rc 0
  run "$AEROHOST" run --dev $isolation "$R" -- --also-read bench/ext
  assert_rc 0
  assert_contains "$err" "[2/3] Reused [train] model"
  assert_contains "$err" "[3/3] Running [report] report"
done
run "$AEROHOST" run --dev --dry-run "$R" -- --also-read bench/ext
assert_contains "$out" \
  "[3/3] run  [report] report <- model: its last run read an artifact no parent of it makes"
# bench/ext gets a new version: report reads it (a reused report would
# hold what it made of v0). --force: bench_hash's key holds no flag.
printf 'two\n' >"$AERO_TMP/ext.txt"
"$AEROHOST" run --dev --force "$AERO_FIXTURES/bench_hash.so" -- \
  --file "$AERO_TMP/ext.txt" --name ext >/dev/null 2>&1 || fail "bench/ext v1"
run "$AEROHOST" run --dev "$R" -- --also-read bench/ext
assert_contains "$err" "[3/3] Running [report] report"
run "$AEROMANCY" path reusedemo/report
assert_eq "$(cat "$out/report.txt")" "model of raw 1 x 1 and two" "report's content"
# A version its code (here its config) names is in its key: reused.
run "$AEROHOST" run --dev "$R" -- --also-read bench/ext:v0
assert_contains "$err" "[3/3] Running [report] report"
run "$AEROHOST" run --dev "$R" -- --also-read bench/ext:v0
assert_contains "$err" "[3/3] Reused [report] report"

case_ "two hosts reusing at once on one store"
run "$AEROHOST" run --dev "$R" -- --seed 7
for k in 1 2; do
  "$AEROHOST" run --dev "$R" -- --seed 7 >"$AERO_TMP/out$k" 2>"$AERO_TMP/err$k" &
  pids[k]=$!
done
for k in 1 2; do
  wait "${pids[k]}"
  rc=$?
  err=$(cat "$AERO_TMP/err$k")
  assert_rc 0
  assert_contains "$err" "0 ok, 3 reused, 0 failed"
done
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'reused' AND
  id > (SELECT max(id) FROM runs WHERE status = 'ok')")" 6

case_ "a re-run of 70 actions: every reused run holds its run's outputs and its own inputs"
# tracker-local records reused runs 32 rows to an INSERT: two full chunks
# and a rest, each run with the versions of the run it reuses.
new_store chain70
S=$AERO_FIXTURES/bench_steps.so
run "$AEROHOST" run --dev "$S" -- --actions 70 --shape chain
assert_rc 0
first=$(sql "SELECT max(id) FROM runs")
run "$AEROHOST" run --dev "$S" -- --actions 70 --shape chain
assert_rc 0
assert_contains "$err" "0 ok, 70 reused, 0 failed"
assert_contains "$err" "runs $((first + 1))-$((first + 70)) in"
# versions TABLE ID: the versions run ID (an SQL expression) has in TABLE,
# in order ('-' for none).
versions() {
  echo "coalesce((SELECT group_concat(v, ',') FROM (SELECT version_id AS v
    FROM $1 WHERE run_id = $2 ORDER BY version_id) s), '-')"
}
assert_eq "$(sql "SELECT count(*) FROM runs r JOIN runs o ON o.id = r.reused_run
  WHERE r.status = 'reused' AND r.job_type = o.job_type AND r.outputs = o.outputs
  AND $(versions run_outputs r.id) = $(versions run_outputs o.id)
  AND $(versions run_inputs r.id) = $(versions run_inputs o.id)
  AND r.id - $first = o.id")" 70
# A chain: every run but the first read its parent's output.
assert_eq "$(sql "SELECT count(*) FROM run_inputs WHERE run_id > $first")" 69

case_ "a flag changed and back: dependents read what the reused parent holds"
# train reused from run 2 holds model v0; v1, made since with --epochs 41,
# is the latest. evaluate must read v0 (and so be reused from run 3, which
# did), not the latest (run 6's: what another config made).
new_store back_and_forth
# input_of RUN NAME: the version number of input NAME that run RUN read.
input_of() {
  sql "SELECT v.version FROM run_inputs i JOIN versions v ON v.id = i.version_id
    JOIN artifacts a ON a.id = v.artifact_id WHERE i.run_id = $1 AND a.name = '$2'"
}
run "$AEROHOST" run --dev "$AERO_TMP/demo1.so"
assert_rc 0
run "$AEROHOST" run --dev "$AERO_TMP/demo1.so" -- --epochs 41
assert_contains "$err" "2 ok, 1 reused"
assert_eq "$(input_of 6 model)" 1 "evaluate with --epochs 41 read the new model"
run "$AEROHOST" run --dev --dry-run "$AERO_TMP/demo1.so"
assert_contains "$out" "reuse [evaluate] report <- model dataset: run 3, "
run "$AEROHOST" run --dev "$AERO_TMP/demo1.so"
assert_rc 0
assert_contains "$err" "[2/3] Reused [train] model (run 2, "
assert_contains "$err" "[3/3] Reused [evaluate] report (run 3, "
assert_eq "$(input_of 9 model)" 0 "the reused evaluate holds the inputs of run 3"
run "$AEROHOST" run --dev --force-only evaluate "$AERO_TMP/demo1.so"
assert_rc 0
assert_contains "$err" "[3/3] OK [evaluate] report"
assert_eq "$(input_of 12 model)" 0 "evaluate run again read the reused train's model"


case_ "a wide re-run: each ready action is answered for itself"
# 40 actions ready at once, looked up in one batch (reuse_find_batch: a
# round trip on the team store, a statement per 32 on the local one): each
# gets its own answer. --fresh writes new content at every run, so two runs with the
# same key hold different blobs: step-7 lost its newest run's blob and is
# reused from its older run; step-23 lost both and runs.
new_store wide
run "$AEROHOST" run --dev "$S" -- --actions 40 --shape wide --fresh
assert_rc 0
older=$(sql "SELECT max(id) FROM runs")
run "$AEROHOST" run --dev --force "$S" -- --actions 40 --shape wide --fresh
assert_rc 0
newest=$(sql "SELECT max(id) FROM runs")
# run_of STEP NEWER: the run of step-STEP after run NEWER, or up to it.
run_of() {
  sql "SELECT id FROM runs WHERE outputs = 'step-$1' AND status = 'ok' AND
    id $2 $older"
}
# blob_of RUN: the blob file of run RUN's one output.
blob_of() {
  blob_file "$(sql "SELECT f.sha256 FROM version_files f JOIN run_outputs o
    ON o.version_id = f.version_id WHERE o.run_id = $1")"
}
old7=$(run_of 7 '<=')
for gone in "$(blob_of "$(run_of 7 '>')")" "$(blob_of "$(run_of 23 '>')")" \
    "$(blob_of "$(run_of 23 '<=')")"; do
  [[ -f $gone ]] || fail "no blob at $gone"
  rm -f "$gone"
done
# The dry run says the same (looked up at once on the team store too).
run "$AEROHOST" run --dev --dry-run "$S" -- --actions 40 --shape wide --fresh
assert_rc 0
assert_contains "$out" "40 actions, 1 to run, 39 to reuse"
assert_contains "$out" "run  [step] step-23: its past outputs are gone or damaged"
assert_contains "$out" "reuse [step] step-7: run $old7, "
# Two more actions, never run: each unmatched one is told its own reason
# (on the team store, from one query for all of their jobs' past runs).
run "$AEROHOST" run --dev --dry-run "$S" -- --actions 42 --shape wide --fresh
assert_rc 0
assert_contains "$out" "42 actions, 3 to run, 39 to reuse"
assert_contains "$out" "run  [step] step-23: its past outputs are gone or damaged"
assert_contains "$out" "run  [step] step-40: no past successful run"
assert_contains "$out" "run  [step] step-41: no past successful run"
run "$AEROHOST" run --dev "$S" -- --actions 40 --shape wide --fresh
assert_rc 0
assert_contains "$err" "1 ok, 39 reused, 0 failed"
assert_contains "$err" "Running [step] step-23"
assert_contains "$err" "Reused [step] step-7 (run $old7, "
assert_eq "$(sql "SELECT reused_run FROM runs WHERE outputs = 'step-7' ORDER BY
  id DESC LIMIT 1")" "$old7" "step-7 reused from its older run"
# Every other reused run stands for the newest run of its own action.
assert_eq "$(sql "SELECT count(*) FROM runs r JOIN runs o ON o.id =
  r.reused_run WHERE r.id > $newest AND r.status = 'reused' AND r.outputs =
  o.outputs AND o.id > $older")" 38

case_ "a match that waited for a slot is asked again: its blob went meanwhile"
# -j 1: step-0 (volatile, 5 s) holds the one slot; step-1 lost its blob, so
# it must run and holds the slot next. Looked up while step-0 runs, steps
# 2-5 match; step-2's blob goes before its turn. A match that waited longer
# than 2 s is asked again (a streak is looked up at once, on either store):
# step-2 runs, the others are reused from the same runs as before.
new_store stale
run "$AEROHOST" run --dev "$S" -- --actions 6 --shape wide --fresh
assert_rc 0
blob_of_step() {
  blob_of "$(sql "SELECT id FROM runs WHERE outputs = 'step-$1' AND status =
    'ok' ORDER BY id DESC LIMIT 1")"
}
step1=$(blob_of_step 1) step2=$(blob_of_step 2)
[[ -f $step1 && -f $step2 ]] || fail "no blob at $step1 or $step2"
rm -f "$step1"
"$AEROHOST" run --dev -j 1 "$S" -- --actions 6 --shape wide --fresh \
  --slow-first 5000 >"$AERO_TMP/stale.out" 2>"$AERO_TMP/stale.err" &
host=$!
wait_until 600 0.05 grep -q "Running \[step\] step-0" "$AERO_TMP/stale.err" ||
  fail "step-0 never started: $(cat "$AERO_TMP/stale.err")"
sleep 2 # the streak's lookup is done by now (milliseconds)
rm -f "$step2"
rc=0
wait "$host" || rc=$?
assert_eq "$rc" 0 "the run with a stale match"
err=$(cat "$AERO_TMP/stale.err")
assert_contains "$err" "Running [step] step-2"
assert_not_contains "$err" "Reused [step] step-2"
assert_contains "$err" "Reused [step] step-5"
assert_contains "$err" "3 ok, 3 reused, 0 failed"
# Asked again one at a time (reuse_find), steps 3-5 are reused while step-2
# runs: before its end, not after it by a new batch.
line_of() { grep -n -F "$1" <<<"$err" | head -1 | cut -d: -f1; }
reused3=$(line_of "Reused [step] step-3") ok2=$(line_of "OK [step] step-2")
[[ -n $reused3 && -n $ok2 && $reused3 -lt $ok2 ]] ||
  fail "step-3 not reused while step-2 ran: $err"

case_ "an action a past run stands for takes no slot"
# -j 1 and step-0 (volatile, 3 s) holds the one slot: the other five are
# reused meanwhile, not after it (each asked for as it waits, or with its
# streak on the team store).
new_store noslot
run "$AEROHOST" run --dev "$S" -- --actions 6 --shape wide
assert_rc 0
run "$AEROHOST" run --dev -j 1 "$S" -- --actions 6 --shape wide --slow-first 3000
assert_rc 0
assert_contains "$err" "1 ok, 5 reused, 0 failed"
reused5=$(grep -n -F "Reused [step] step-5" <<<"$err" | cut -d: -f1)
ok0=$(grep -n -F "OK [step] step-0" <<<"$err" | cut -d: -f1)
[[ -n $reused5 && -n $ok0 && $reused5 -lt $ok0 ]] ||
  fail "step-5 not reused while step-0 ran: $err"

done_
