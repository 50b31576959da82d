#!/usr/bin/env bash
# The example projects through aerohost, in dev mode, on a fresh store:
# aerodemo (runs recorded, metrics per step, artifacts flowing from one
# action to the next, flags and aeromancy.ini reaching the run config,
# identical runs reusing versions) and diabetes (a real regression on
# scikit-learn's data from Debian's python3-sklearn, with a sensible R^2).
# Run once per backend (AERO_TEST_BACKEND: local, postgres).
. "$(dirname "$0")/../lib.sh"

DEMO=$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so
DIABETES=$AERO_BUILD_DIR/examples/diabetes/diabetes.so
cd "$AERO_TMP" || exit 1

# The id of the latest run of job type $1.
run_of() {
  sql "SELECT max(id) FROM runs WHERE job_type = '$1'"
}
# "name:vN" of every output of run $1, sorted.
outputs_of() {
  sql "SELECT group_concat(x, ' ') FROM (SELECT a.name || ':v' || v.version AS x
       FROM run_outputs o JOIN versions v ON v.id = o.version_id
       JOIN artifacts a ON a.id = v.artifact_id WHERE o.run_id = $1 ORDER BY x) s"
}
# "name:vN" of every input of run $1, sorted.
inputs_of() {
  sql "SELECT group_concat(x, ' ') FROM (SELECT a.name || ':v' || v.version AS x
       FROM run_inputs i JOIN versions v ON v.id = i.version_id
       JOIN artifacts a ON a.id = v.artifact_id WHERE i.run_id = $1 ORDER BY x) s"
}
# The value of config key $2 of run $1.
config_of() {
  sql "SELECT value FROM run_config WHERE run_id = $1 AND key = '$2'"
}
# The step-less value of metric $2 of run $1.
metric_of() {
  sql "SELECT value FROM metrics WHERE run_id = $1 AND key = '$2' AND step IS NULL"
}
# The stored blob of file $2 of the latest version of artifact $1.
blob() {
  local sha
  sha=$(sql "SELECT f.sha256 FROM version_files f JOIN artifact_versions v
             ON v.version_id = f.version_id WHERE v.name = '$1' AND f.path = '$2'
             ORDER BY v.version DESC LIMIT 1")
  blob_file "$sha"
}
# in_range VALUE LOW HIGH: exit 0 when LOW <= VALUE <= HIGH (as numbers).
in_range() {
  awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 >= lo && v + 0 <= hi) }'
}

# ---- aerodemo -------------------------------------------------------------

case_ "aerodemo runs ingest, train, evaluate in dev mode"
run "$AEROHOST" run "$DEMO" --dev
assert_rc 0
assert_eq "$(sql "SELECT group_concat(job_type || ':' || mode || ':' || status, ' ')
                  FROM (SELECT * FROM runs ORDER BY id) s")" \
  "ingest:dev:ok train:dev:ok evaluate:dev:ok"
assert_eq "$(sql "SELECT group_concat(job_group, ' ') FROM (SELECT * FROM runs ORDER BY id) s")" \
  "data model model"
ingest=$(run_of ingest) train=$(run_of train) evaluate=$(run_of evaluate)

case_ "train logs its loss at every epoch, and it falls"
assert_eq "$(config_of "$train" epochs)" 40
assert_eq "$(sql "SELECT count(DISTINCT step) || ':' || min(step) || ':' || max(step)
                  FROM metrics WHERE run_id = $train AND key = 'loss'")" "40:0:39"
first=$(sql "SELECT value FROM metrics WHERE run_id = $train AND key = 'loss' AND step = 0")
last=$(sql "SELECT value FROM metrics WHERE run_id = $train AND key = 'loss' AND step = 39")
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a / 10) }' ||
  fail "loss did not fall tenfold: epoch 0 $first, epoch 39 $last"

case_ "evaluate logs its scores once, without a step"
in_range "$(metric_of "$evaluate" test_r2)" 0.99 1 ||
  fail "test_r2 of the demo's noiseless-ish line: $(metric_of "$evaluate" test_r2)"
assert_eq "$(sql "SELECT group_concat(key, ' ') FROM (SELECT key FROM metrics
                  WHERE run_id = $evaluate ORDER BY key) s")" \
  "test_mae test_mse test_r2 test_rmse"

case_ "artifacts flow: each action reads the versions its parents wrote"
assert_eq "$(outputs_of "$ingest")" "dataset:v0"
assert_eq "$(outputs_of "$train")" "model:v0"
assert_eq "$(outputs_of "$evaluate")" "report:v0"
assert_eq "$(inputs_of "$train")" "$(outputs_of "$ingest")"
assert_eq "$(inputs_of "$evaluate")" "$(outputs_of "$ingest") $(outputs_of "$train")"
assert_eq "$(sql "SELECT group_concat(name || '=' || type, ' ') FROM
                  (SELECT name, type FROM artifact_versions ORDER BY name) s")" \
  "dataset=dataset model=model report=report"

case_ "the stored files are the real ones"
assert_eq "$(sql "SELECT group_concat(f.path, ' ') FROM (SELECT path FROM version_files f
                  JOIN artifact_versions v ON v.version_id = f.version_id
                  WHERE v.name = 'dataset' ORDER BY path) f")" "test.csv train.csv"
assert_eq "$(head -1 "$(blob dataset train.csv)")" "x1,x2,y"
assert_eq "$(wc -l <"$(blob dataset train.csv)")" 193
assert_contains "$(cat "$(blob model model.txt)")" "w1="
assert_contains "$(cat "$(blob report report.md)")" "model: aerodemo/model:v0"
assert_contains "$(cat "$(blob report report.md)")" "| r2 |"

case_ "a second identical run reuses every action: new runs, the same versions"
versions=$(sql "SELECT count(*) FROM versions")
run "$AEROHOST" run "$DEMO" --dev
assert_rc 0
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'ok'")" 3
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'reused'")" 3
assert_contains "$err" "0 ok, 3 reused, 0 failed, 0 skipped in "
assert_eq "$(sql "SELECT count(*) FROM versions")" "$versions"
assert_eq "$(outputs_of "$(run_of ingest)")" "dataset:v0"
assert_eq "$(outputs_of "$(run_of train)")" "model:v0"
assert_eq "$(outputs_of "$(run_of evaluate)")" "report:v0"
assert_eq "$(inputs_of "$(run_of evaluate)")" "dataset:v0 model:v0"

case_ "--learning-rate reaches the train run's config and makes a new model"
run "$AEROHOST" run "$DEMO" --dev -- --learning-rate 0.02 --loss mae --no-shuffle
assert_rc 0
train=$(run_of train)
assert_eq "$(config_of "$train" learning_rate)" 0.02
assert_eq "$(config_of "$train" loss)" mae
assert_eq "$(config_of "$train" shuffle)" 0
assert_eq "$(outputs_of "$(run_of ingest)")" "dataset:v0"
assert_eq "$(outputs_of "$train")" "model:v1"
assert_eq "$(inputs_of "$(run_of evaluate)")" "dataset:v0 model:v1"

case_ "the short letter -l works too"
run "$AEROHOST" run "$DEMO" --dev --only train -- -l 0.07
assert_rc 0
assert_eq "$(config_of "$(run_of train)" learning_rate)" 0.07
assert_eq "$(inputs_of "$(run_of train)")" "dataset:v0"

case_ "aeromancy.ini's [flags] default applies when run from the project"
mkdir -p "$AERO_TMP/project"
cp "$AERO_SOURCE_DIR/examples/aerodemo/aeromancy.ini" "$AERO_TMP/project/"
(cd "$AERO_TMP/project" && "$AEROHOST" run "$DEMO" --dev --only train) >/dev/null 2>&1 ||
  fail "aerodemo failed in its project folder"
assert_eq "$(config_of "$(run_of train)" epochs)" 50
assert_eq "$(sql "SELECT count(*) FROM metrics WHERE run_id = $(run_of train)")" 50

case_ "a bad --learning-rate fails before anything runs"
runs=$(sql "SELECT count(*) FROM runs")
run "$AEROHOST" run "$DEMO" --dev -- --learning-rate -1
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--learning-rate must be a positive number, got -1"
assert_eq "$(sql "SELECT count(*) FROM runs")" "$runs"

# ---- diabetes -------------------------------------------------------------

# fetch-data.sh downloads python3-sklearn's .deb once per build folder.
DATA=$AERO_BUILD_DIR/example-data/diabetes
case_ "fetch-data.sh extracts the data set from Debian's python3-sklearn"
run "$AERO_SOURCE_DIR/examples/diabetes/fetch-data.sh" "$DATA"
assert_rc 0
assert_contains "$(cat "$DATA/SOURCE" 2>/dev/null)" "python3-sklearn"
assert_eq "$(gzip -dc "$DATA/diabetes_data_raw.csv.gz" 2>/dev/null | wc -l)" 442

new_store diabetes
case_ "diabetes fits by gradient descent and logs both losses every epoch"
run "$AEROHOST" run "$DIABETES" --dev -- --data-dir "$DATA"
assert_rc 0
assert_eq "$(sql "SELECT group_concat(job_type || ':' || status, ' ') FROM (SELECT * FROM runs ORDER BY id) s")" \
  "ingest:ok fit:ok evaluate:ok"
fit=$(run_of fit)
assert_eq "$(sql "SELECT group_concat(key || '=' || n, ' ') FROM (SELECT key, count(DISTINCT step) AS n
                  FROM metrics WHERE run_id = $fit GROUP BY key ORDER BY key) s")" \
  "test_mse=500 train_mse=500"
first=$(sql "SELECT value FROM metrics WHERE run_id = $fit AND key = 'train_mse' AND step = 0")
last=$(sql "SELECT value FROM metrics WHERE run_id = $fit AND key = 'train_mse' AND step = 499")
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a / 4) }' ||
  fail "train_mse did not fall: epoch 0 $first, epoch 499 $last"
assert_eq "$(sql "SELECT value FROM version_metadata m JOIN artifact_versions v
                  ON v.version_id = m.version_id WHERE v.name = 'diabetes-data' AND key = 'test_rows'")" 88

case_ "the linear fit explains about half the variance (R^2 0.35-0.65)"
gd_r2=$(metric_of "$(run_of evaluate)" test_r2)
in_range "$gd_r2" 0.35 0.65 || fail "test R^2 $gd_r2"
in_range "$(metric_of "$(run_of evaluate)" train_r2)" 0.4 0.65 ||
  fail "train R^2 $(metric_of "$(run_of evaluate)" train_r2)"
assert_contains "$(cat "$(blob diabetes-report report.md)")" "| test | 88 |"

case_ "the normal equations agree with gradient descent"
run "$AEROHOST" run "$DIABETES" --dev -- --data-dir "$DATA" --solver normal
assert_rc 0
normal_r2=$(metric_of "$(run_of evaluate)" test_r2)
in_range "$normal_r2" 0.35 0.65 || fail "test R^2 (normal equations) $normal_r2"
in_range "$(awk -v a="$gd_r2" -v b="$normal_r2" 'BEGIN { print a - b }')" -0.02 0.02 ||
  fail "solvers disagree: gd $gd_r2, normal $normal_r2"
assert_eq "$(outputs_of "$(run_of ingest)")" "diabetes-data:v0"
assert_eq "$(outputs_of "$(run_of fit)")" "diabetes-model:v1"

case_ "a folder without the data fails in ingest, with one line naming it"
mkdir -p "$AERO_TMP/empty"
run "$AEROHOST" run "$DIABETES" --dev -- --data-dir "$AERO_TMP/empty"
assert_rc 1
assert_contains "$err" "no diabetes_data_raw.csv.gz in $AERO_TMP/empty"
assert_eq "$(sql "SELECT status FROM runs WHERE id = $(run_of ingest)")" failed
assert_eq "$(sql "SELECT group_concat(status, ' ') FROM (SELECT status FROM runs
                  WHERE id > $(run_of ingest) ORDER BY id) s")" "skipped skipped"

case_ "a missing --data-dir fails before anything runs"
run "$AEROHOST" run "$DIABETES" --dev -- --data-dir "$AERO_TMP/nowhere"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--data-dir $AERO_TMP/nowhere"

done_
