#!/usr/bin/env bash
# aeromancy fsck on the team store (tracker-postgres, issue 12) against a
# real PostgreSQL and s3rver started here, on a store made by real runs of
# aerodemo and the exec_pipeline fixture: blobs modified in the bucket
# (same size and another size), deleted, an orphan, a run left running by
# a killed host, and fsck while another aerohost is in the middle of a run.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../servers.sh"

DEMO=$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so
A=$AEROMANCY
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1
aero_team_start
# A killed host's lease expires soon after it stops renewing it.
export AEROMANCY_LEASE_SECONDS=5 # long enough for a heartbeat under load
q() { aero_psql "$1"; }

# blob_of NAME FILE: the digest of FILE in the latest NAME.
blob_of() {
  q "SELECT f.sha256 FROM version_files f JOIN artifact_versions v
     ON v.version_id = f.version_id WHERE v.name = '$1' AND f.path = '$2'
     ORDER BY v.version DESC LIMIT 1"
}

"$AEROHOST" run "$DEMO" --dev >/dev/null 2>&1 || fail "aerodemo"

case_ "fsck of a sound team store: every blob re-hashed, exit 0"
run "$A" fsck
assert_rc 0
assert_eq "$out" ""
assert_contains "$err" "$(q "SELECT count(DISTINCT sha256) FROM version_files") blobs re-hashed"
assert_contains "$err" "0 orphan blobs, 0 problems"

case_ "fsck while another aerohost is mid-run: its running run is not abandoned"
start_hanging
run "$A" fsck
assert_rc 0
assert_not_contains "$out" "abandoned"
kill -TERM "$host"
wait "$host"

case_ "fsck catches a blob modified in the bucket with the same size"
model_sha=$(blob_of model model.txt)
model=$(aero_team_blob "$model_sha")
size=$(stat -c %s "$model")
printf 'X' | dd of="$model" bs=1 seek=3 conv=notrunc status=none
assert_eq "$(stat -c %s "$model")" "$size"
run "$A" fsck
assert_rc 1
assert_contains "$out" "$(printf 'damaged\t%s' "$model_sha")"
assert_contains "$err" "orphan blobs, 1 problems in"

case_ "a blob damaged in the bucket is refused when downloaded; nothing recorded is lost"
# A cold cache: every read below downloads from the bucket.
export AEROMANCY_CACHE=$AERO_TMP/cold-cache
runs_before=$(q "SELECT id, status FROM runs ORDER BY id")
versions_before=$(q "SELECT id, published FROM versions ORDER BY id")
run "$A" export model "$AERO_TMP/model-out"
assert_rc 2
assert_one_line "$err"
assert_contains "$err" "blob ${model_sha:0:16}... in the bucket is damaged (its SHA-256 is "
[[ ! -e $AERO_TMP/model-out/model.txt ]] || fail "export wrote the damaged model"
[[ -z $(find "$AEROMANCY_CACHE" -type f) ]] ||
  fail "the damaged blob was left in the cache: $(find "$AEROMANCY_CACHE" -type f)"
# A run whose action reads the damaged input fails, and says why.
run "$AEROHOST" run "$DEMO" --dev --force
assert_rc 1
assert_contains "$err" "blob ${model_sha:0:16}... in the bucket is damaged"
assert_eq "$(q "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" "failed"
[[ -z $(find "$AEROMANCY_CACHE/blobs" -type f -name "${model_sha:2}") ]] ||
  fail "the damaged blob was cached"
run "$A" export model "$AERO_TMP/model-out"
assert_rc 2
assert_contains "$err" "in the bucket is damaged"
runs_after=$(q "SELECT id, status FROM runs ORDER BY id")
assert_eq "$(head -n "$(grep -c '' <<<"$runs_before")" <<<"$runs_after")" "$runs_before" \
  "runs recorded before"
assert_eq "$(q "SELECT id, published FROM versions WHERE id <= $(tail -1 <<<"$versions_before" | cut -d'|' -f1) ORDER BY id")" \
  "$versions_before" "versions recorded before"
run "$A" fsck
assert_rc 1
assert_contains "$err" "orphan blobs, 1 problems in"
export AEROMANCY_CACHE=$AERO_TMP/cache

case_ "fsck catches a blob of another size, and a deleted blob"
train_sha=$(blob_of dataset train.csv)
echo "extra" >>"$(aero_team_blob "$train_sha")"
test_sha=$(blob_of dataset test.csv)
rm -f "$(aero_team_blob "$test_sha")"
run "$A" fsck
assert_rc 1
assert_contains "$out" "$(printf 'size\t%s' "$train_sha")"
assert_contains "$out" "$(printf 'missing\t%s' "$test_sha")"
assert_contains "$err" "orphan blobs, 3 problems in"

case_ "fsck --repair deletes damaged blobs; declaring the content again uploads it"
run "$A" fsck --repair
assert_rc 1 # the deleted blob cannot be repaired here
assert_eq "$(grep -c ' (repaired)$' <<<"$out")" 2 "repaired lines"
assert_eq "$(grep -c '' <<<"$out")" 3 "problem lines"
assert_contains "$err" "orphan blobs, 3 problems, repaired: some in"
[[ ! -e $(aero_team_blob "$model_sha") && ! -e $(aero_team_blob "$train_sha") ]] ||
  fail "damaged blobs were not deleted"
"$AEROHOST" run "$DEMO" --dev --force >/dev/null 2>&1 || fail "aerodemo after repair"
assert_eq "$(sha256sum <"$(aero_team_blob "$model_sha")" | cut -d' ' -f1)" "$model_sha" \
  "model uploaded again"
run "$A" fsck
assert_rc 0
assert_contains "$err" "orphan blobs, 0 problems in"

case_ "fsck counts an orphan blob"
orphan=$(printf 'orphan\n' | sha256sum | cut -d' ' -f1)
mkdir -p "$(dirname "$(aero_team_blob "$orphan")")"
printf 'orphan\n' >"$(aero_team_blob "$orphan")"
run "$A" fsck
assert_rc 0
assert_contains "$err" "1 orphan blobs, 0 problems"

case_ "fsck reports a run left running by a killed host; --repair records it killed"
start_abandoned q
sleep 6 # its lease expires
run "$A" fsck
assert_rc 1
assert_contains "$out" "$(printf 'abandoned\t%s\t' "$hung")"
assert_eq "$(q "SELECT status FROM runs WHERE id = $hung")" "running" "fsck alone changes nothing"
run "$A" fsck --repair
assert_rc 0 # all repaired
assert_contains "$err" "orphan blobs, 1 problems, repaired: all in"
assert_eq "$(q "SELECT status FROM runs WHERE id = $hung")" "killed"
assert_eq "$(q "SELECT count(*) FROM versions WHERE published = 0")" 0 "pending versions dropped"
run "$A" fsck
assert_rc 0

# fsck_through_proxy MODE NAME: `aeromancy fsck` (run) through
# tests/s3_lag_proxy.py with its MODE variable set, its log in
# $AERO_TMP/NAME.log.
fsck_through_proxy() {
  local proxy
  env "$1=1" "$AERO_SOURCE_DIR/tests/s3_lag_proxy.py" \
    "$AERO_S3_URL" "$AERO_TMP/$2.port" "$AERO_TMP/$2.log" &
  proxy=$!
  wait_until 200 0.05 test -s "$AERO_TMP/$2.port" || fail "the $2 proxy did not start"
  AWS_ENDPOINT_URL_S3=http://127.0.0.1:$(cat "$AERO_TMP/$2.port") run "$A" fsck
  kill "$proxy" 2>/dev/null
  wait "$proxy" 2>/dev/null
}

case_ "fsck against a server that answers a listing page with the token it was asked with: one line, no endless listing"
fsck_through_proxy AERO_PROXY_LIST_LOOP loop
assert_rc 2
assert_one_line "$err"
assert_contains "$err" "listing the blobs: the server answered a page with its own continuation token again"
# The first page, then the second asked with "loop" and answered with it.
assert_eq "$(grep -cE '^GET /[^/ ]+ ' "$AERO_TMP/loop.log")" 2 "listings asked"

case_ "fsck against a server whose listing is longer than a reply is kept: one line, no blob called missing"
fsck_through_proxy AERO_PROXY_LIST_PAD pad
assert_rc 2
assert_one_line "$err"
assert_contains "$err" "listing the blobs: a reply of more than 64 KiB for a page of 100 keys"
assert_not_contains "$out" "missing"

case_ "a blob prefix holding XML's special characters: fsck lists its blobs as they are named"
# A listing's keys are XML text: "p&q<>" comes back as "p&amp;q&lt;&gt;".
# Read as written, none matched the prefix: every blob called missing.
aero_team_new_store amp_prefix
export AEROMANCY_BLOBS="s3://$AERO_S3_BUCKET/p&q<>"
"$AEROHOST" run "$DEMO" --dev >/dev/null 2>&1 || fail "aerodemo on prefix p&q<>"
run "$A" fsck
assert_rc 0
assert_not_contains "$out" "missing"
assert_contains "$err" "$(q "SELECT count(DISTINCT sha256) FROM version_files") blobs re-hashed"
assert_contains "$err" "0 orphan blobs, 0 problems"

done_
