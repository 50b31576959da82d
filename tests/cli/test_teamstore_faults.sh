#!/usr/bin/env bash
# The team store when its servers fail, against a real PostgreSQL 15 and
# s3rver started here: the database restarted in the middle of a run (the
# run goes on), the database gone for good (one line naming it, nothing
# recorded lost), s3rver killed in the middle of a multipart upload (the
# run fails naming the server, exit 2, no version refers to the
# half-uploaded blob, a later run uploads it whole), the bucket gone while
# a streak of actions is looked up for reuse (one warning, they run until
# the first upload fails), and an aerohost
# killed with -9
# (its lease expires and the next host, or a reader, records its run
# killed).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../servers.sh"

PLUGIN="$AERO_FIXTURES/trk_pipeline.so"
BIG_PLUGIN="$AERO_FIXTURES/bench_hash.so"
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1
aero_team_start
q() { aero_psql "$1"; }
s3log() { sed 's/\x1b\[[0-9;]*m//g' "$AERO_S3_DIR/log"; }

# An ingest run of this case is running (runs cut off earlier, whose lease
# has not expired yet, are older than $seen).
seen=0
running_ingest() { [[ $(q "SELECT count(*) FROM runs WHERE job_type =
  'ingest' AND status = 'running' AND id > $seen" 2>/dev/null) == 1 ]]; }
mark() { seen=$(q "SELECT coalesce(max(id), 0) FROM runs"); }

case_ database_restarted_mid_run
"$AEROHOST" run "$PLUGIN" --dev -- --sleep-ms 4000 >"$AERO_TMP/r1.out" 2>&1 &
pid=$!
wait_until 600 0.1 running_ingest || fail "ingest never started"
aero_pg_restart || fail "restart failed"
wait "$pid"
rc=$?
assert_eq "$rc" 0 "exit code; $(cat "$AERO_TMP/r1.out")"
assert_eq "$(q "SELECT string_agg(job_type || ':' || status, ' ' ORDER BY id)
  FROM runs")" "ingest:ok train:ok evaluate:ok"
assert_eq "$(q "SELECT count(*) FROM artifact_versions")" 3
assert_eq "$(q "SELECT count(*) FROM runs WHERE client_key IS NULL")" 0

case_ database_gone
mark
export AEROMANCY_PG_RETRY_SECONDS=2
"$AEROHOST" run "$PLUGIN" --dev -- --sleep-ms 3000 --content gone \
  >"$AERO_TMP/r2.out" 2>"$AERO_TMP/r2.err" &
pid=$!
wait_until 600 0.1 running_ingest || fail "ingest never started"
aero_pg_ctl stop -m fast -w >/dev/null
wait "$pid"
rc=$?
[[ $rc == 1 || $rc == 2 ]] || fail "exit $rc; $(cat "$AERO_TMP/r2.err")"
assert_contains "$(cat "$AERO_TMP/r2.err")" "postgres $AERO_PG_DIR/aero"
assert_contains "$(cat "$AERO_TMP/r2.err")" "could not be made again"
aero_pg_ctl start -w -l "$AERO_PG_DIR/server.log" \
  -o "-c listen_addresses='' -c unix_socket_directories='$AERO_PG_DIR' \
    -c fsync=off -c max_connections=200" >/dev/null
# What was recorded before is all there; the cut-off run is not ok and
# published nothing.
assert_eq "$(q "SELECT count(*) FROM runs WHERE status = 'ok'")" 3
assert_eq "$(q "SELECT count(*) FROM artifact_versions")" 3
assert_eq "$(q "SELECT count(*) FROM versions WHERE published = 0 AND run_id
  IN (SELECT id FROM runs WHERE status <> 'running')")" 0
unset AEROMANCY_PG_RETRY_SECONDS

case_ s3_killed_mid_upload
head -c $((200 << 20)) /dev/urandom >"$AERO_TMP/big.bin"
part_stored() { s3log | grep -q "Stored part 2 of"; }
export AEROMANCY_S3_PART_MB=5 AEROMANCY_S3_RETRY_SECONDS=2
"$AEROHOST" run "$BIG_PLUGIN" --dev -- --file "$AERO_TMP/big.bin" \
  >"$AERO_TMP/r3.out" 2>"$AERO_TMP/r3.err" &
pid=$!
wait_until 600 0.1 part_stored || fail "no part was uploaded"
aero_s3_kill
wait "$pid"
rc=$?
assert_eq "$rc" 2 "exit code (the store's failure); $(cat "$AERO_TMP/r3.err")"
assert_contains "$(cat "$AERO_TMP/r3.err")" "S3 server $AERO_S3_URL (bucket $AERO_S3_BUCKET): uploading part"
assert_contains "$(cat "$AERO_TMP/r3.err")" "gave up retrying"
assert_eq "$(q "SELECT status FROM runs WHERE job_type = 'declare'")" failed
assert_eq "$(q "SELECT count(*) FROM artifact_versions WHERE name = 'big'")" 0
assert_eq "$(q "SELECT count(*) FROM versions WHERE published = 0")" 0
aero_s3_restart || fail "s3rver did not restart"
run "$AEROHOST" run "$BIG_PLUGIN" --dev -- --file "$AERO_TMP/big.bin"
assert_rc 0
hash=$(sha256sum "$AERO_TMP/big.bin" | cut -d' ' -f1)
assert_eq "$(q "SELECT f.sha256 FROM version_files f JOIN artifact_versions v
  ON v.version_id = f.version_id WHERE v.name = 'big'")" "$hash"
obj="$AERO_S3_DIR/data/$AERO_S3_BUCKET/team/blobs/${hash:0:2}/${hash:2}._S3rver_object"
assert_eq "$(sha256sum "$obj" 2>/dev/null | cut -d' ' -f1)" "$hash" "blob whole"
unset AEROMANCY_S3_PART_MB AEROMANCY_S3_RETRY_SECONDS

case_ s3_slow_to_show_an_upload
# A server whose read right after a write may not show it yet (s3rver, now
# and then, answers a small PUT before its file is written): here a proxy
# in front of s3rver answers the first HEAD of each uploaded blob 404. The
# check after the upload asks again instead of failing a run whose blob
# is stored.
mark
"$AERO_SOURCE_DIR/tests/s3_lag_proxy.py" "$AERO_S3_URL" "$AERO_TMP/lag.port" \
  "$AERO_TMP/lag.log" &
lag_proxy=$!
wait_until 200 0.05 test -s "$AERO_TMP/lag.port" || fail "the lagging proxy did not start"
AWS_ENDPOINT_URL_S3=http://127.0.0.1:$(cat "$AERO_TMP/lag.port") \
  run "$AEROHOST" run "$PLUGIN" --dev -- --content "lagged $$ $RANDOM"
assert_rc 0
assert_eq "$(q "SELECT string_agg(status, ' ' ORDER BY id) FROM runs WHERE id >
  $seen")" "ok ok ok"
lagged=$(grep -c ' 404 lagged$' "$AERO_TMP/lag.log")
[[ $lagged -ge 1 ]] || fail "no upload was checked through the lagging proxy: $(cat "$AERO_TMP/lag.log")"
assert_eq "$(grep -c 'bad signature' "$AERO_TMP/lag.log")" 0 "requests refused"

case_ s3_long_session_token
# A session token of STS is often longer than 1 KiB: every request carries
# it whole, as it was signed (the proxy checks each signature, s3rver does
# not). Cut to a 1 KiB header line, the token sent was not the one signed,
# and every request was refused.
mark
: >"$AERO_TMP/lag.log"
AWS_SESSION_TOKEN=$(printf 'T%.0s' {1..3000}) \
  AWS_ENDPOINT_URL_S3=http://127.0.0.1:$(cat "$AERO_TMP/lag.port") \
  run "$AEROHOST" run "$PLUGIN" --dev -- --content "long token $$ $RANDOM"
kill "$lag_proxy" 2>/dev/null
wait "$lag_proxy" 2>/dev/null
assert_rc 0
assert_eq "$(q "SELECT string_agg(status, ' ' ORDER BY id) FROM runs WHERE id >
  $seen")" "ok ok ok"
assert_eq "$(grep -c 'bad signature' "$AERO_TMP/lag.log")" 0 "requests refused"
assert_contains "$(cat "$AERO_TMP/lag.log")" "PUT "

case_ s3_down_at_reuse_lookup
# The bucket gone while 6 ready actions are looked up at once: one warning
# for them all, and they run; the first fails on its own upload, the
# store's failure, where the host stops (exit 2), even with -k. Asked
# again one at a time, each would have waited out the retries and said so.
STEPS="$AERO_FIXTURES/bench_steps.so"
run "$AEROHOST" run "$STEPS" --dev -- --actions 6 --shape wide
assert_rc 0
aero_s3_kill
export AEROMANCY_S3_RETRY_SECONDS=1
run "$AEROHOST" run "$STEPS" --dev -k -- --actions 6 --shape wide
assert_rc 2
assert_contains "$err" "looking for runs to reuse failed for 6 actions, running them: S3 server $AERO_S3_URL"
assert_eq "$(grep -c "looking for" <<<"$err")" 1 "lookup warnings"
assert_contains "$err" "0 ok, 1 failed, 5 skipped"
# A dry run says so of each, from the one lookup of all six.
run "$AEROHOST" run "$STEPS" --dev --dry-run -- --actions 6 --shape wide
assert_rc 0
assert_contains "$out" "6 actions, 6 to run"
assert_eq "$(grep -c "run  \[step\] step-.: looking for runs to reuse failed (6 actions asked at once): S3 server $AERO_S3_URL" <<<"$out")" 6 \
  "each action's reason"
aero_s3_restart || fail "s3rver did not restart"
unset AEROMANCY_S3_RETRY_SECONDS
run "$AEROHOST" run "$STEPS" --dev -- --actions 6 --shape wide
assert_rc 0
assert_contains "$err" "0 ok, 6 reused"

# doomed_host: a host killed with -9 in the middle of its ingest ($doomed,
# still running) and its lease left to expire (another host's lease is
# renewed meanwhile; the dead one's expires).
doomed_host() {
  mark
  "$AEROHOST" run "$PLUGIN" --dev -- --sleep-ms 60000 --content doomed \
    >/dev/null 2>&1 &
  local pid=$!
  wait_until 600 0.1 running_ingest || fail "ingest never started"
  doomed=$(q "SELECT id FROM runs WHERE status = 'running' AND id > $seen")
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  sleep 3
  assert_eq "$(q "SELECT status FROM runs WHERE id = $doomed")" running \
    "nobody reaped it yet"
}

case_ dead_host_recorded_killed
export AEROMANCY_LEASE_SECONDS=2
doomed_host
run "$AEROHOST" run "$PLUGIN" --dev --only ingest -- --content next
assert_rc 0
assert_eq "$(q "SELECT status FROM runs WHERE id = $doomed")" killed
assert_contains "$(q "SELECT message FROM runs WHERE id = $doomed")" \
  "stopped renewing its lease"
assert_eq "$(q "SELECT count(*) FROM versions WHERE published = 0")" 0
# It ended when it was last seen alive (its start, its last log line or
# metric point), not when the next host noticed, 3 s and more later.
assert_eq "$(q "SELECT r.ended_at = GREATEST(r.started_at, (SELECT
  max(logged_at) FROM run_logs WHERE run_id = r.id), (SELECT max(logged_at)
  FROM metrics WHERE run_id = r.id)) AND r.ended_at - r.started_at <
  2000000000 FROM runs r WHERE r.id = $doomed")" t "its ended_at"

case_ a_reader_records_a_dead_host_killed
# Without a host starting: `aeromancy show` (a reader) records the run of
# a host whose lease expired killed before it reads it.
doomed_host
# While another transaction holds the run's row, the reader does not wait
# for it: it reads the run as it is.
q "BEGIN; SELECT 1 FROM runs WHERE id = $doomed FOR UPDATE; SELECT pg_sleep(30); COMMIT" \
  >/dev/null 2>&1 &
locker=$!
locking() {
  [[ $(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()") == 1 ]]
}
wait_until 100 0.1 locking || fail "the row was not locked"
sleep 0.5
start=$(date +%s%N)
run "$AEROMANCY" show "$doomed" --json
took_ms=$((($(date +%s%N) - start) / 1000000))
kill "$locker"
wait "$locker" 2>/dev/null
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
assert_rc 0
assert_eq "$(jq -r .status <<<"$out")" running "while its row is locked"
((took_ms < 5000)) || fail "aeromancy show waited ${took_ms} ms for a locked row"
run "$AEROMANCY" show "$doomed" --json
assert_rc 0
assert_eq "$(jq -r .status <<<"$out")" killed
assert_contains "$(jq -r .message <<<"$out")" "stopped renewing its lease"
assert_eq "$(q "SELECT status FROM runs WHERE id = $doomed")" killed

case_ live_lease_is_renewed
mark
# A run longer than the lease: its heartbeat keeps it; a host starting
# meanwhile does not take it for dead.
"$AEROHOST" run "$PLUGIN" --dev --only ingest -- --sleep-ms 5000 \
  --content long >"$AERO_TMP/r5.out" 2>&1 &
pid=$!
wait_until 600 0.1 running_ingest || fail "ingest never started"
long=$(q "SELECT id FROM runs WHERE status = 'running' AND id > $seen")
sleep 3
run "$AEROMANCY" runs
assert_rc 0
assert_eq "$(q "SELECT status FROM runs WHERE id = $long")" running \
  "a live host's run, after a reader"
run "$AEROHOST" run "$PLUGIN" --dev --only ingest -- --content meanwhile
assert_rc 0
wait "$pid"
assert_eq "$?" 0 "the long run; $(cat "$AERO_TMP/r5.out")"
assert_eq "$(q "SELECT status FROM runs WHERE id = $long")" ok
assert_eq "$(q "SELECT count(*) FROM runs WHERE status = 'killed' AND id > $seen")" 0
unset AEROMANCY_LEASE_SECONDS

done_
