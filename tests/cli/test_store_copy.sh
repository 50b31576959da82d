#!/usr/bin/env bash
# aeromancy store copy FROM TO: a local store's history into a team store
# (PostgreSQL and s3rver started here) and back into a new local store,
# through the backends' members: the same runs, states, versions (numbers
# and digests), files, metrics and lineage on each side; a second copy
# copies nothing; a bad FROM is one line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../servers.sh"

PLUGIN="$AERO_FIXTURES/trk_pipeline.so"
DEMO=$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so
A=$AEROMANCY
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1
aero_team_start
unset AEROMANCY_BACKEND
LOCAL=$AERO_TMP/local BACK=$AERO_TMP/back TEAM=$AERO_PG_URL
lsql() { sqlite3 -batch -noheader "$1/aeromancy.db" "$2"; }
tsql() { aero_psql "$1"; }
# What each side must agree on, in one text: runs, versions, files,
# metrics, lineage (by names and digests, never by ids).
RUNS="SELECT job_type || ':' || status || ':' || mode || ':' || started_at
  || ':' || coalesce(ended_at, 0) FROM runs ORDER BY started_at, job_type"
VERSIONS="SELECT name || ':v' || version || ':' || mode || ':' || digest FROM
  artifact_versions ORDER BY name, version, mode, digest"
METRICS="SELECT count(*) || ':' || sum(value) FROM metrics"
LINEAGE="SELECT r.job_type || '<' || a.name || ':' || v.digest FROM run_inputs
  i JOIN runs r ON r.id = i.run_id JOIN versions v ON v.id = i.version_id JOIN
  artifacts a ON a.id = v.artifact_id ORDER BY r.started_at, a.name"
# Each version's metadata: keys and types on every side, values too
# between the two local stores (the team store keeps them as text).
METADATA="SELECT av.name || ':v' || av.version || ':' || m.key || ':' || m.type
  FROM version_metadata m JOIN artifact_versions av ON av.version_id =
  m.version_id ORDER BY av.name, av.version, m.key"
METADATA_VALUES="SELECT av.name || ':v' || av.version || ':' || m.key || '='
  || m.value FROM version_metadata m JOIN artifact_versions av ON
  av.version_id = m.version_id ORDER BY av.name, av.version, m.key"
FAILED="SELECT job_type || ':' || status || ':' || coalesce(message, '') FROM
  runs WHERE status <> 'ok' ORDER BY started_at"
# Each input as pinned: the reading run's mode, the version's number and
# mode (a production run's input has dev twins of the same digest).
PINS="SELECT r.job_type || ':' || r.mode || '<' || a.name || ':v' || v.version
  || ':' || v.mode FROM run_inputs i JOIN runs r ON r.id = i.run_id JOIN
  versions v ON v.id = i.version_id JOIN artifacts a ON a.id = v.artifact_id
  ORDER BY r.started_at, a.name"
# A reused run: the run it stands for, and the versions it holds.
REUSED="SELECT r.job_type || '->' || o.job_type || ':' || o.started_at || ':'
  || av.name || ':v' || av.version FROM runs r JOIN runs o ON o.id =
  r.reused_run JOIN run_outputs ro ON ro.run_id = r.id JOIN artifact_versions
  av ON av.version_id = ro.version_id ORDER BY r.started_at, r.job_type"

case_ local_to_team
AEROMANCY_STORE=$LOCAL "$AEROHOST" run "$PLUGIN" --dev --force --tags a >/dev/null 2>&1
AEROMANCY_STORE=$LOCAL "$AEROHOST" run "$PLUGIN" --dev --force -- --content two \
  >/dev/null 2>&1
AEROMANCY_STORE=$LOCAL "$AEROHOST" run "$PLUGIN" --dev --force -- --content two \
  --extra-input nothing >/dev/null 2>&1
AEROMANCY_STORE=$LOCAL "$AEROHOST" run "$DEMO" --dev --force >/dev/null 2>&1
# An unchanged re-run: three runs reused.
AEROMANCY_STORE=$LOCAL "$AEROHOST" run "$DEMO" --dev >/dev/null 2>&1
# A production run (what aeromancy go sets): its versions have the same
# digests as the dev ones.
AEROMANCY_STORE=$LOCAL AEROMANCY_GIT_COMMIT=0123456789abcdef0123456789abcdef01234567 \
  AEROMANCY_IMAGE_ID=sha256:0123 "$AEROHOST" run "$DEMO" >/dev/null 2>&1 ||
  fail "the production run"
# Two hosts: the one that began first ends last, so its raw is the later
# version (the copy must not number them by when the runs began).
AEROMANCY_STORE=$LOCAL "$AEROHOST" run "$PLUGIN" --dev --force -- \
  --content slow --sleep-ms 1500 >/dev/null 2>&1 &
slow=$!
slow_began() {
  [[ $(lsql "$LOCAL" "SELECT count(*) FROM runs WHERE status = 'running'") -gt 0 ]]
}
wait_until 200 0.05 slow_began || fail "the slow host never began"
AEROMANCY_STORE=$LOCAL "$AEROHOST" run "$PLUGIN" --dev --force -- \
  --content fast >/dev/null 2>&1 || fail "the fast host"
wait "$slow" || fail "the slow host"
assert_eq "$(lsql "$LOCAL" "SELECT count(*) FROM runs WHERE status = 'reused'")" 3
assert_eq "$(lsql "$LOCAL" "SELECT r.started_at < f.started_at FROM
  artifact_versions a JOIN runs r ON r.id = a.run_id, artifact_versions b JOIN
  runs f ON f.id = b.run_id WHERE a.name = 'raw' AND b.name = 'raw' AND
  a.version = b.version + 1 AND a.version = (SELECT max(version) FROM
  artifact_versions WHERE name = 'raw')")" 1 "the last raw began first"
# The run that ended first may be the one that committed, and numbered its
# versions, last (two hosts' run_end commits race): on record, the slow
# host's ingest now ended just before the fast one's, though its raw is the
# later version. The copy must number by what was published, not by ends.
lsql "$LOCAL" "UPDATE run_records SET ended_at = (SELECT r.ended_at - 1000
  FROM artifact_versions b JOIN runs r ON r.id = b.run_id WHERE b.name = 'raw'
  AND b.version = (SELECT max(version) - 1 FROM artifact_versions WHERE name =
  'raw')) WHERE id = (SELECT run_id FROM artifact_versions WHERE name = 'raw'
  AND version = (SELECT max(version) FROM artifact_versions WHERE name = 'raw'))"
runs=$(lsql "$LOCAL" "SELECT count(*) FROM runs")
run "$A" store copy "$LOCAL" "$TEAM"
assert_rc 0
assert_one_line "$err"
assert_contains "$err" "$runs runs copied, 0 copied before"
for q in "$RUNS" "$VERSIONS" "$LINEAGE" "$FAILED" "$METADATA" "$REUSED" "$PINS"; do
  assert_eq "$(tsql "$q")" "$(lsql "$LOCAL" "$q")" "$q"
done
assert_eq "$(tsql "$REUSED" | wc -l)" 3 "reused runs with what they stand for"
assert_contains "$(tsql "$METADATA")" "model:v0:trained_on:string"
assert_eq "$(tsql "SELECT count(*) FROM metrics")" \
  "$(lsql "$LOCAL" "SELECT count(*) FROM metrics")"
assert_eq "$(tsql "SELECT count(*) FROM runs r WHERE EXISTS (SELECT 1 FROM
  run_tags t WHERE t.run_id = r.id AND t.tag = 'a')")" 3 "tags kept"
assert_eq "$(tsql "SELECT count(*) FROM run_env WHERE key = 'copied_from'")" \
  "$runs"

case_ copy_again_copies_nothing
run "$A" store copy "$LOCAL" "$TEAM"
assert_rc 0
assert_contains "$err" "0 runs copied, $runs copied before"
assert_eq "$(tsql "SELECT count(*) FROM runs")" "$runs"

case_ team_back_to_local
run "$A" store copy "$TEAM" "$BACK"
assert_rc 0
assert_contains "$err" "$runs runs copied"
for q in "$RUNS" "$VERSIONS" "$LINEAGE" "$FAILED" "$METADATA_VALUES" \
  "$REUSED" "$PINS"; do
  assert_eq "$(lsql "$BACK" "$q")" "$(lsql "$LOCAL" "$q")" "$q"
done
# The files themselves: the blobs of the copy are those of the original.
blobs() { (cd "$1/blobs" && find . -type f | sort | tr '\n' ' '); }
assert_eq "$(blobs "$BACK")" "$(blobs "$LOCAL")"
# Every run's points, byte for byte, through the team store and back.
ids_l=($(lsql "$LOCAL" "SELECT id FROM runs ORDER BY started_at, job_type"))
ids_b=($(lsql "$BACK" "SELECT id FROM runs ORDER BY started_at, job_type"))
assert_eq "${#ids_b[@]}" "${#ids_l[@]}" "runs on both sides"
for i in "${!ids_l[@]}"; do
  assert_eq "$("$A" metrics "${ids_b[$i]}" --csv --store "$BACK" | sha256sum)" \
    "$("$A" metrics "${ids_l[$i]}" --csv --store "$LOCAL" | sha256sum)" \
    "points of run ${ids_l[$i]}"
done
assert_eq "$(lsql "$BACK" "SELECT count(*) FROM metrics")" \
  "$(lsql "$LOCAL" "SELECT count(*) FROM metrics")"
# aeromancy show reads the same run the same way on all three stores.
last_l=$(lsql "$LOCAL" "SELECT max(id) FROM runs")
last_b=$(lsql "$BACK" "SELECT max(id) FROM runs")
# Not compared: ids, the copy's own tag and fact, and when log lines were
# written (log_text takes no time: the copy's is recorded).
norm() {
  grep -v -e '^run	id' -e copied -e '^run	tags' -e '^input' -e '^output' \
    -e '^file' | sed 's/^log	[^	]*	/log	/'
}
assert_eq "$("$A" show "$last_b" --store "$BACK" | norm)" \
  "$("$A" show "$last_l" --store "$LOCAL" | norm)"

case_ bad_from_one_line
run "$A" store copy "$AERO_TMP/nowhere" "$BACK"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "nowhere"
case_ backends_named_by_option
# A folder named like key=value words is taken for a PostgreSQL address
# unless --to-backend says it is a local store; a backend that does not
# exist is named with the option that gave it.
copy_in_tmp() { run bash -c 'cd "$1" && shift && exec "$@"' _ "$AERO_TMP" "$A" store copy "$@"; }
copy_in_tmp "$LOCAL" "k=v"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" 'invalid connection option "k"'
copy_in_tmp --to-backend local "$LOCAL" "k=v"
assert_rc 0
assert_contains "$err" "$(lsql "$LOCAL" "SELECT count(*) FROM runs") runs copied"
assert_eq "$(lsql "$AERO_TMP/k=v" "$RUNS")" "$(lsql "$LOCAL" "$RUNS")"
for side in from to; do
  run "$A" store copy "--$side-backend" nosuch "$LOCAL" "$AERO_TMP/other"
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "--$side-backend: tracker backend 'nosuch' not found"
done
[[ ! -e $AERO_TMP/other ]] || fail "a copy with a backend that does not exist wrote TO"

case_ a_copy_cut_short_is_copied_again
# An interrupted copy leaves its last run `running` in TO (later reaped as
# killed), with part of its metrics and no outputs; a copy that failed
# ends `failed` ("the copy of this run failed"). Neither is "copied
# before": the next copy copies those runs again, and the rest not.
RESUME=$AERO_TMP/resume
run "$A" store copy "$LOCAL" "$RESUME"
assert_rc 0
total=$(lsql "$RESUME" "SELECT count(*) FROM runs")
ok_runs=$(lsql "$LOCAL" "SELECT count(*) FROM runs WHERE status = 'ok'")
lsql "$RESUME" "UPDATE run_records SET status = 'running', ended_at = NULL
  WHERE id = (SELECT max(id) FROM runs WHERE status = 'ok');
  UPDATE run_records SET status = 'failed',
  message = 'the copy of this run failed'
  WHERE id = (SELECT min(id) FROM runs WHERE status = 'ok')"
assert_eq "$(lsql "$RESUME" "SELECT count(*) FROM runs WHERE status = 'ok'")" \
  "$((ok_runs - 2))"
run "$A" store copy "$LOCAL" "$RESUME"
assert_rc 0
assert_contains "$err" "2 runs copied, $((total - 2)) copied before"
assert_eq "$(lsql "$RESUME" "SELECT count(*) FROM runs WHERE status = 'ok'")" \
  "$ok_runs"
run "$A" store copy "$LOCAL" "$RESUME"
assert_contains "$err" "0 runs copied, $total copied before"
# The ending's message counts too: a copy that ended ok with a message its
# original has not is copied again.
lsql "$RESUME" "UPDATE run_records SET message = 'not as the original'
  WHERE id = (SELECT max(id) FROM runs WHERE status = 'ok')"
run "$A" store copy "$LOCAL" "$RESUME"
assert_rc 0
assert_contains "$err" "1 run copied, $((total - 1)) copied before"

case_ into_itself_is_refused
# The same store by another path, a symbolic link, or as written: a copy
# into itself would add a copy of every run, and more at each repeat.
runs_before=$(lsql "$LOCAL" "SELECT count(*) FROM runs")
ln -s "$LOCAL" "$AERO_TMP/local-link"
for to in "$LOCAL" "$LOCAL/" "$AERO_TMP/local-link" "$AERO_TMP/./local"; do
  run "$A" store copy "$LOCAL" "$to"
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "FROM and TO are the same store ($LOCAL)"
done
# A bind mount is another path to the same folder, which no path
# resolution sees (root only: the suite runs as root in CI).
mkdir -p "$AERO_TMP/local-bind"
if mount --bind "$LOCAL" "$AERO_TMP/local-bind" 2>/dev/null; then
  run "$A" store copy "$LOCAL" "$AERO_TMP/local-bind"
  umount "$AERO_TMP/local-bind"
  assert_rc 3
  assert_contains "$err" "FROM and TO are the same store"
elif [[ ${CI:-} == true ]]; then
  fail "cannot bind-mount a store (CI runs the tests as root)"
fi
assert_eq "$(lsql "$LOCAL" "SELECT count(*) FROM runs")" "$runs_before"
run "$A" store copy "$TEAM" "$TEAM"
assert_rc 3
assert_contains "$err" "FROM and TO are the same store"
assert_eq "$(tsql "SELECT count(*) FROM runs")" "$runs"

case_ unknown_subcommand
run "$A" store move "$LOCAL" "$BACK"
assert_rc 3
assert_contains "$err" "unknown store command 'move'"

done_
