#!/usr/bin/env bash
# Many hosts on one team store: 8 aerohost processes, each with its own
# cache (as on 8 machines), share one PostgreSQL database and one bucket
# for 20 rounds. No run is lost, no version number is handed out twice or
# skipped, nothing is left pending, every version's blobs are in the bucket.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../servers.sh"

PLUGIN="$AERO_FIXTURES/trk_pipeline.so"
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1
aero_team_start
q() { aero_psql "$1"; }
HOSTS=${AERO_TEAM_HOSTS:-8}
ROUNDS=${AERO_TEAM_ROUNDS:-20}

case_ hosts_share_one_store
host() {
  local h=$1 r
  for ((r = 1; r <= ROUNDS; r++)); do
    # Every fourth round repeats content another host also declares, so
    # that dedupe races with allocation.
    local content="host $h round $r"
    ((r % 4 == 0)) && content="shared round $r"
    # --force: every round runs (reuse would stand in for repeated ones).
    AEROMANCY_CACHE="$AERO_TMP/cache-$h" "$AEROHOST" run "$PLUGIN" --dev \
      --force -- \
      --content "$content" >>"$AERO_TMP/host-$h.log" 2>&1 ||
      echo "round $r failed" >>"$AERO_TMP/host-$h.failed"
  done
}
pids=()
for ((h = 1; h <= HOSTS; h++)); do
  host "$h" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
for ((h = 1; h <= HOSTS; h++)); do
  [[ -f $AERO_TMP/host-$h.failed ]] &&
    fail "host $h: $(cat "$AERO_TMP/host-$h.failed" | head -3): $(grep -i error "$AERO_TMP/host-$h.log" | head -3)"
done
total=$((HOSTS * ROUNDS))
assert_eq "$(q "SELECT count(*) FROM runs")" $((3 * total)) "runs recorded"
assert_eq "$(q "SELECT count(*) FROM runs WHERE status = 'ok'")" \
  $((3 * total)) "runs ok"
assert_eq "$(q "SELECT count(*) FROM runs WHERE job_type = 'ingest'")" "$total"
# Every artifact: numbers unique and dense from 0.
for name in raw model report; do
  assert_eq "$(q "SELECT count(*) = count(DISTINCT version) AND min(version)
    = 0 AND max(version) = count(*) - 1 FROM artifact_versions WHERE name =
    '$name'")" t "$name: numbers unique and dense"
done
# raw: one version per distinct content at least; never two versions in a
# row with the same content (dedupe against the latest).
distinct=$(q "SELECT count(DISTINCT digest) FROM artifact_versions WHERE name = 'raw'")
assert_eq "$distinct" $((HOSTS * (ROUNDS - ROUNDS / 4) + ROUNDS / 4)) \
  "distinct raw contents"
assert_eq "$(q "SELECT count(*) FROM (SELECT digest, lag(digest) OVER (ORDER
  BY version) AS prev FROM artifact_versions WHERE name = 'raw') s WHERE
  digest = prev")" 0 "consecutive duplicates"
# Every ok ingest run has exactly one raw output.
assert_eq "$(q "SELECT count(*) FROM runs r WHERE r.job_type = 'ingest' AND
  (SELECT count(*) FROM run_outputs o WHERE o.run_id = r.id) <> 1")" 0 \
  "ingest runs without exactly one output"
assert_eq "$(q "SELECT count(*) FROM versions WHERE published = 0")" 0 "pending"
assert_eq "$(q "SELECT count(*) FROM leases")" 0 "leases dropped"
missing=0
while read -r hash; do
  [[ -f "$AERO_S3_DIR/data/$AERO_S3_BUCKET/team/blobs/${hash:0:2}/${hash:2}._S3rver_object" ]] ||
    missing=$((missing + 1))
done < <(q "SELECT DISTINCT sha256 FROM version_files")
assert_eq "$missing" 0 "blobs missing from the bucket"

done_
