#!/usr/bin/env bash
# Tracking end to end: aerohost runs the trk_pipeline fixture (ingest ->
# raw, train -> model, evaluate -> report) on a real store, and the
# database is checked with SQL: runs, config, tags, metrics with steps,
# inputs and outputs with versions, the plugin's SHA-256, overrides, bad
# names, missing inputs, and dev/prod separation. Run once per backend
# (AERO_TEST_BACKEND: local, postgres): the queries are those SQLite and
# PostgreSQL both read the same way.
. "$(dirname "$0")/../lib.sh"

PLUGIN="$AERO_FIXTURES/trk_pipeline.so"
unset AEROMANCY_GIT_COMMIT AEROMANCY_GIT_BRANCH AEROMANCY_GIT_MESSAGE \
  AEROMANCY_GIT_REMOTE AEROMANCY_IMAGE_ID AEROMANCY_PACKAGES_FILE \
  AEROMANCY_PASSTHROUGH
cd "$AERO_TMP" || exit 1

# versions_of RUN_ID TABLE: "name:vN" of a run's inputs or outputs, sorted.
versions_of() {
  sql "SELECT group_concat(x, ' ') FROM (SELECT a.name || ':v' || v.version
       AS x FROM $2 r JOIN versions v ON v.id = r.version_id
       JOIN artifacts a ON a.id = v.artifact_id WHERE r.run_id = $1
       ORDER BY x) AS t"
}
# num COLUMN: SQL giving a double COLUMN as text the same way on both
# backends: whole numbers without a fraction, others to 15 significant
# digits.
num() {
  echo "CASE WHEN $1 = CAST($1 AS INTEGER) THEN CAST(CAST($1 AS INTEGER) AS
    TEXT) ELSE CAST(CAST($1 AS NUMERIC) AS TEXT) END"
}
# last_run JOB: id of the latest run of JOB.
last_run() {
  sql "SELECT max(id) FROM runs WHERE job_type = '$1'"
}

case_ dev_run_records_everything
run "$AEROHOST" run "$PLUGIN" --dev --tags a,b
assert_rc 0
assert_eq "$(sql "SELECT group_concat(job_type || ':' || mode || ':' || status
  || ':' || exit_code, ' ') FROM runs")" \
  "ingest:dev:ok:0 train:dev:ok:0 evaluate:dev:ok:0"
assert_eq "$(sql "SELECT job_group FROM runs WHERE job_type = 'ingest'")" data
assert_eq "$(sql "SELECT count(*) FROM runs WHERE ended_at >= started_at
  AND started_at > 1600000000000000000")" 3
train=$(last_run train)
assert_eq "$(sql "SELECT group_concat(key || '=' || type || ':' || value, ' ')
  FROM (SELECT * FROM run_config WHERE run_id = $train ORDER BY key) AS t")" \
  "learning_rate=double:0.25 shuffle=bool:1 steps=int:3"
assert_eq "$(sql "SELECT group_concat(tag, ',') FROM (SELECT tag FROM run_tags
  WHERE run_id = $train ORDER BY tag) AS t")" "a,b"
assert_eq "$(sql "SELECT count(*) FROM run_tags")" 6
assert_eq "$(sql "SELECT group_concat(key || '@' || step || '=' || $(num value),
  ' ') FROM (SELECT * FROM metrics WHERE run_id = $train ORDER BY step) AS t")" \
  "loss@0=1 loss@1=0.5 loss@2=0.333333333333333"
assert_eq "$(sql "SELECT key || ':' || coalesce(CAST(step AS TEXT), 'none') ||
  '=' || $(num value) FROM metrics WHERE run_id = $(last_run ingest)")" \
  "bytes:none=5"
assert_eq "$(sql "SELECT count(*) FROM metrics WHERE run_id =
  $(last_run evaluate) AND step IS NULL")" 2
assert_eq "$(versions_of "$train" run_inputs)" "raw:v0"
assert_eq "$(versions_of "$train" run_outputs)" "model:v0"
assert_eq "$(versions_of "$(last_run evaluate)" run_inputs)" "model:v0"
assert_eq "$(versions_of "$(last_run evaluate)" run_outputs)" "report:v0"
assert_eq "$(sql "SELECT message FROM run_logs WHERE run_id = $train")" \
  "trained on trk/raw:v0"
assert_contains "$err" "[train model] trained on trk/raw:v0"
assert_eq "$(sql "SELECT project || '/' || name || ':' || type || ':' || mode
  FROM artifact_versions WHERE name = 'raw'")" "trk/raw:dataset:dev"
assert_eq "$(sql "SELECT key || '=' || value FROM version_metadata")" "bytes=5"
sha=$(sha256sum "$PLUGIN" | cut -d' ' -f1)
assert_eq "$(sql "SELECT count(DISTINCT plugin_sha256) || ':' ||
  max(plugin_sha256) FROM runs")" "1:$sha"
assert_eq "$(sql "SELECT plugin_path FROM runs LIMIT 1")" "$PLUGIN"
assert_eq "$(sql "SELECT abi_version || ' ' || CASE WHEN host_version <> ''
  THEN 1 ELSE 0 END || ' ' || CASE WHEN hostname <> '' THEN 1 ELSE 0 END
  FROM runs LIMIT 1")" "1.7 1 1"
assert_contains "$(sql "SELECT command_line FROM runs LIMIT 1")" \
  "run $PLUGIN --dev --tags a,b"
# The file behind raw:v0 is the blob of what ingest wrote.
blob=$(sql "SELECT sha256 FROM version_files f JOIN artifact_versions v
  ON v.version_id = f.version_id WHERE v.name = 'raw'")
assert_eq "$blob" "$(printf hello | sha256sum | cut -d' ' -f1)"
[[ -f $(blob_file "$blob") ]] || fail "no blob $blob"

case_ rerun_reuses_versions
run "$AEROHOST" run "$PLUGIN" --dev
assert_rc 0
assert_eq "$(sql "SELECT count(*) FROM versions")" 3
assert_eq "$(versions_of "$(last_run train)" run_outputs)" "model:v0"

case_ override_pins_an_input
run "$AEROHOST" run "$PLUGIN" --dev -- --content other
assert_rc 0
assert_eq "$(versions_of "$(last_run train)" run_inputs)" "raw:v1"
run "$AEROHOST" run "$PLUGIN" --dev --force --only train --artifact-override raw:v0
assert_rc 0
assert_eq "$(versions_of "$(last_run train)" run_inputs)" "raw:v0"
assert_contains "$err" "trained on trk/raw:v0"
# The pinned input made the same model as the first run: its content.
model=$(versions_of "$(last_run train)" run_outputs)
assert_eq "$(sql "SELECT f.sha256 FROM version_files f JOIN artifact_versions v
  ON v.version_id = f.version_id WHERE v.name || ':v' || v.version =
  '$model'")" \
  "$(printf 'model of hello (from trk/raw:v0)' | sha256sum | cut -d' ' -f1)"
run "$AEROHOST" run "$PLUGIN" --dev --only train --artifact-override raw:v7
assert_rc 1
assert_contains "$err" "input 'raw' (pinned by --artifact-override)"
assert_contains "$err" "raw:v7"
# Recorded failed: its banner and the summary name the run.
failed=$(sql "SELECT max(id) FROM runs WHERE status = 'failed'")
assert_contains "$err" "does not exist (latest is v"
assert_contains "$err" ") (run $failed)"
assert_contains "$err" "; run $failed in "
run "$AEROHOST" run "$PLUGIN" --dev --artifact-override raw
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "needs an explicit version"

case_ override_errors_name_the_fix
runs=$(sql 'SELECT count(*) FROM runs')
run "$AEROHOST" run "$PLUGIN" --dev --artifact-override raw:latest
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--artifact-override 'raw:latest' needs an explicit version, e.g. 'raw:v3'"
run "$AEROHOST" run "$PLUGIN" --dev --artifact-override rwa:v0
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--artifact-override 'rwa:v0': no selected action reads 'rwa' (did you mean raw?)"
run "$AEROHOST" run "$PLUGIN" --dev --artifact-override zzzzzz:v0
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "no selected action reads 'zzzzzz' (they read: raw"
run "$AEROHOST" run "$PLUGIN" --dev --only ingest --artifact-override raw:v0
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--artifact-override 'raw:v0': no selected action reads an artifact of this project"
assert_eq "$(sql 'SELECT count(*) FROM runs')" "$runs"
# Another project's artifact is not in the graph: it is not checked.
run "$AEROHOST" run "$PLUGIN" --dev --dry-run --artifact-override other/raw:v0
assert_rc 0

case_ bad_output_name_fails_the_action
before=$(sql "SELECT count(*) FROM versions")
run "$AEROHOST" run "$PLUGIN" --dev --force -- --out-name ../x
assert_rc 1
assert_contains "$err" "invalid artifact name '../x'"
assert_contains "$(sql "SELECT status || ': ' || message FROM runs WHERE
  job_type = 'ingest' ORDER BY id DESC LIMIT 1")" \
  "failed: aero_declare_output: invalid artifact name '../x'"
run "$AEROHOST" run "$PLUGIN" --dev --force -- --out-name model
assert_rc 1
assert_contains "$err" "'model' is not one of the outputs action [ingest]"
assert_eq "$(sql "SELECT count(*) FROM versions")" "$before"

case_ missing_input_fails_clearly
kept=("$AEROMANCY_STORE" "${AEROMANCY_BLOBS:-}" "${AERO_PG_DB:-}")
new_store empty
run "$AEROHOST" run "$PLUGIN" --dev --only train
assert_rc 1
assert_contains "$err" "input 'raw' does not exist in the store (run its producer first, or check --only)"
assert_eq "$(sql "SELECT job_type || ':' || status FROM runs WHERE job_type =
  'train'")" "train:failed"
export AEROMANCY_STORE=${kept[0]} AEROMANCY_BLOBS=${kept[1]} AERO_PG_DB=${kept[2]}
run "$AEROHOST" run "$PLUGIN" --dev --force -- --extra-input nosuch
assert_rc 1
assert_contains "$err" "input 'nosuch' does not exist in the store"

case_ production_refuses_without_runner_env
runs=$(sql "SELECT count(*) FROM runs")
run "$AEROHOST" run "$PLUGIN"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "production run needs the runner's environment (AEROMANCY_GIT_COMMIT is not set): run it with \`aeromancy go\`, or pass --dev"
run env AEROMANCY_GIT_COMMIT=abc "$AEROHOST" run "$PLUGIN"
assert_rc 3
assert_contains "$err" "AEROMANCY_IMAGE_ID is not set"
assert_eq "$(sql "SELECT count(*) FROM runs")" "$runs"

case_ dev_and_prod_are_apart
export AEROMANCY_GIT_COMMIT=0123456789abcdef AEROMANCY_IMAGE_ID=sha256:feed \
  AEROMANCY_GIT_BRANCH=feature AEROMANCY_PASSTHROUGH=TOKEN_A,TOKEN_B
printf 'ii  libc6  2.36\n' >"$AERO_TMP/packages.txt"
export AEROMANCY_PACKAGES_FILE="$AERO_TMP/packages.txt" TOKEN_A=s3cret-value
# Only dev versions exist: production does not read them.
run "$AEROHOST" run "$PLUGIN" --only train
assert_rc 1
assert_contains "$err" "input 'raw' has only dev versions"
run "$AEROHOST" run "$PLUGIN"
assert_rc 0
assert_eq "$(sql "SELECT count(*) FROM runs WHERE mode = 'prod' AND status =
  'ok' AND git_commit = '0123456789abcdef' AND image_id = 'sha256:feed' AND
  git_branch = 'feature' AND packages = 'ii  libc6  2.36
' AND passthrough_env = 'TOKEN_A,TOKEN_B'")" 3
dump=$(store_dump)
assert_contains "$dump" "TOKEN_A,TOKEN_B" # the names are recorded
[[ $dump != *s3cret-value* ]] || fail "a passthrough value reached the store"
# Production's versions are its own, numbered after the dev ones.
prod_raw=$(versions_of "$(last_run train)" run_inputs)
assert_eq "$(sql "SELECT mode FROM artifact_versions WHERE name || ':v' ||
  version = '$prod_raw'")" prod
assert_eq "$(sql "SELECT count(*) FROM run_inputs i JOIN runs r ON r.id =
  i.run_id JOIN versions v ON v.id = i.version_id WHERE r.mode = 'prod' AND
  v.mode = 'dev'")" 0
# Dev sees production versions: the latest raw is the production one.
run "$AEROHOST" run "$PLUGIN" --dev --only train
assert_rc 0
assert_eq "$(versions_of "$(last_run train)" run_inputs)" "$prod_raw"
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_GIT_BRANCH \
  AEROMANCY_PASSTHROUGH AEROMANCY_PACKAGES_FILE TOKEN_A


case_ "a run leaves no scratch folder behind (in the store or under TMPDIR)"
# With a team store the scratch folders live under TMPDIR, named by the
# host's pid; the fork server's action must use that name too, or the
# host removes a folder that never existed and the action's stays.
mkdir -p "$AERO_TMP/tmpdir"
TMPDIR="$AERO_TMP/tmpdir" run "$AEROHOST" run "$PLUGIN" --dev --force
assert_rc 0
assert_eq "$(find "$AERO_TMP/tmpdir" -mindepth 1 -maxdepth 1 -name 'aeromancy-run-*' | wc -l)" 0 \
  "scratch folders left under TMPDIR"
if [[ -d $AEROMANCY_STORE/tmp ]]; then
  assert_eq "$(find "$AEROMANCY_STORE/tmp" -mindepth 1 -maxdepth 1 -name 'run-*' | wc -l)" 0 \
    "scratch folders left in the store"
fi

done_
