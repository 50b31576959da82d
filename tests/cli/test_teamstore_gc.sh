#!/usr/bin/env bash
# aeromancy gc on the team store (tracker-postgres, issue 12) against a
# real PostgreSQL and s3rver started here: unreferenced objects removed
# (--dry-run removes nothing), nothing removed while another aerohost is
# in the middle of a run, hosts writing new content while gc runs in a
# loop lose nothing, a host that starts while gc deletes waits for it,
# and old dev runs removed with --keep-dev, but not one a kept run reuses
# or, to any depth, one whose versions a kept run read or re-declared.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../servers.sh"

DEMO=$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so
PIPE=$AERO_FIXTURES/trk_pipeline.so
A=$AEROMANCY
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1
aero_team_start
export AEROMANCY_LEASE_SECONDS=5 # long enough for a heartbeat under load
q() { aero_psql "$1"; }

# put_orphan TEXT: an object no version refers to; echoes its digest.
put_orphan() {
  local sha
  sha=$(printf '%s\n' "$1" | sha256sum | cut -d' ' -f1)
  mkdir -p "$(dirname "$(aero_team_blob "$sha")")"
  printf '%s\n' "$1" >"$(aero_team_blob "$sha")"
  echo "$sha"
}

"$AEROHOST" run "$DEMO" --dev >/dev/null 2>&1 || fail "aerodemo"

case_ "gc removes unreferenced objects; --dry-run removes nothing"
orphan=$(put_orphan orphan)
run "$A" gc --dry-run
assert_rc 0
assert_contains "$out" "$(printf 'blob\t%s\t7' "$orphan")"
[[ -e $(aero_team_blob "$orphan") ]] || fail "gc --dry-run removed the orphan"
run "$A" gc
assert_rc 0
[[ ! -e $(aero_team_blob "$orphan") ]] || fail "orphan kept"
run "$A" fsck
assert_rc 0
assert_contains "$err" "0 orphan blobs, 0 problems"

case_ "gc while another aerohost is mid-run keeps every object"
orphan=$(put_orphan orphan2)
start_hanging
running=$(q "SELECT id FROM runs WHERE status = 'running'")
run "$A" gc --keep-dev 0
assert_rc 0
assert_contains "$err" "a host is at work"
[[ -e $(aero_team_blob "$orphan") ]] || fail "gc removed an object while a host was running"
assert_eq "$(q "SELECT status FROM runs WHERE id = $running")" "running"
kill -TERM "$host"
wait "$host"
run "$A" fsck
assert_rc 0
assert_contains "$err" "0 problems"

case_ "hosts writing new content while gc runs in a loop lose nothing"
(
  for i in 1 2 3 4 5 6; do
    "$AEROHOST" run "$PIPE" --dev --force -- --content "round $i" >/dev/null 2>&1 ||
      echo "round $i failed" >>"$AERO_TMP/rounds.err"
  done
) &
writer=$!
while kill -0 "$writer" 2>/dev/null; do
  "$A" gc >/dev/null 2>&1
done
wait "$writer"
[[ ! -s $AERO_TMP/rounds.err ]] || fail "$(cat "$AERO_TMP/rounds.err")"
run "$A" fsck
assert_rc 0
assert_contains "$err" "0 problems"

# gc_over_fillers: 400 orphans with keys 00..., then gc in the background
# ($gc, output in $AERO_TMP/gc.*) once it has deleted the first of them.
gc_over_fillers() {
  local first i
  first=$(aero_team_blob "$(printf '00%062x' 1)")
  mkdir -p "$(dirname "$first")"
  for i in $(seq 400); do
    echo filler >"$(aero_team_blob "$(printf '00%062x' "$i")")"
  done
  "$A" gc >"$AERO_TMP/gc.out" 2>"$AERO_TMP/gc.err" &
  gc=$!
  wait_until 1200 0.05 test ! -e "$first"
  [[ ! -e $first ]] || fail "gc did not start deleting"
}

case_ "a host taking its first lease while gc deletes waits for gc, and loses nothing"
# The host's content is in the bucket already, unreferenced, under a key
# that sorts after 400 other orphans: gc deletes those first, in listing
# order. A host that started meanwhile and saw the object would skip its
# upload, and gc would delete it next (fsck: missing); it must wait for gc
# instead, and upload it after.
content=
for i in $(seq 2000); do
  sha=$(printf 'race %s' "$i" | sha256sum | cut -d' ' -f1)
  [[ $sha == f* ]] && content="race $i" && break
done
blob=$(aero_team_blob "$sha")
mkdir -p "$(dirname "$blob")"
printf '%s' "$content" >"$blob"
gc_over_fillers
# The host must start while gc is still deleting (gc could otherwise be
# through on a fast machine, or the host late on a loaded one): s3rver is
# stopped until the host waits for gc's lock.
kill -STOP "$AERO_S3_PID"
"$AEROHOST" run "$PIPE" --dev --force --only ingest -- --content "$content" \
  >"$AERO_TMP/host.out" 2>"$AERO_TMP/host.err" &
starter=$!
# Read while s3rver is stopped: once it goes on, gc ends and the host
# takes the lock.
waiting=0
host_waits() {
  waiting=$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
               AND objid = 7304 AND NOT granted")
  [[ $waiting == 1 ]]
}
wait_until 600 0.05 host_waits
kill -CONT "$AERO_S3_PID"
assert_eq "$waiting" 1 "the host waiting for gc's lock"
wait "$starter"
rc=$?
err=$(cat "$AERO_TMP/host.err")
assert_rc 0
wait "$gc"
rc=$?
err=$(cat "$AERO_TMP/gc.err")
assert_rc 0
assert_eq "$(aero_s3_objects | grep -c '/00')" 0 "fillers left"
[[ -e $blob ]] || fail "gc deleted the blob the host's new version refers to"
run "$A" fsck
assert_rc 0
assert_contains "$err" "0 problems"

case_ "gc whose database connection is cut while it deletes stops deleting"
gc_over_fillers
# The connection that holds gc's lock: without it a host may take a lease.
# Cut while gc waits for the bucket (s3rver stopped meanwhile), not for the
# database: the server's last word then waits in the socket until gc's
# next query, and must not reach stderr as a line of its own.
kill -STOP "$AERO_S3_PID"
sleep 1
q "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'
   AND objid = 7304 AND granted" >/dev/null
kill -CONT "$AERO_S3_PID"
wait "$gc"
rc=$?
err=$(cat "$AERO_TMP/gc.err")
assert_rc 2
assert_one_line "$err"
left=$(aero_s3_objects | grep -c '/00')
((left > 0)) || fail "gc went on deleting without its lock"
run "$A" gc
assert_rc 0
assert_eq "$(aero_s3_objects | grep -c '/00')" 0 "fillers left after a second gc"

case_ "what the server says besides an error stays in the one line of error"
# A server WARNING, then an error, in gc's first statement (recording the
# runs of dead hosts: a lease that expired). libpq alone prints the
# warning on a line of its own, as it does the FATAL of a connection cut
# between two statements.
q "CREATE FUNCTION aero_warn() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN RAISE WARNING 'careful'; RAISE EXCEPTION 'no deleting leases'; END \$\$;
   CREATE TRIGGER aero_warn BEFORE DELETE ON leases FOR EACH ROW
   EXECUTE FUNCTION aero_warn();
   INSERT INTO leases (token, hostname, pid, expires_at)
   VALUES ('expired', 'h', 1, now() - interval '1 hour')" >/dev/null
run "$A" gc
assert_rc 2
assert_one_line "$err"
assert_contains "$err" "no deleting leases (the server said: WARNING:  careful)"
q "DROP TRIGGER aero_warn ON leases; DROP FUNCTION aero_warn();
   DELETE FROM leases WHERE token = 'expired'" >/dev/null

case_ "gc --keep-dev removes finished dev runs older than that, and their objects"
blob_objects() { aero_s3_objects | grep -c /blobs/; }
keep_dev_removes_runs q blob_objects

case_ "gc --keep-dev keeps an old dev run that a kept run reuses, and its outputs"
# A reused run holds the outputs of the run it reuses (the view
# run_outputs), not copies: that run and its versions stay while it does.
aero_team_new_store gcreuse
"$AEROHOST" run "$PIPE" --dev -- --content kept >/dev/null 2>&1 || fail "first run"
run "$AEROHOST" run "$PIPE" --dev -- --content kept
assert_contains "$err" "0 ok, 3 reused"
"$AEROHOST" run "$PIPE" --dev -- --content gone >/dev/null 2>&1 || fail "other run"
train=$(q "SELECT max(id) FROM runs WHERE job_type = 'train' AND status = 'reused'")
assert_eq "$(q "SELECT count(*) FROM run_own_outputs WHERE run_id = $train")" 0
# Every run old but the reused ones.
q "UPDATE runs SET started_at = 1, ended_at = 1 WHERE status <> 'reused'" >/dev/null
run "$A" gc --keep-dev 1
assert_rc 0
assert_contains "$err" " 3 dev runs in "
assert_eq "$(q "SELECT string_agg(job_type || ':' || status, ' ' ORDER BY id)
  FROM runs")" "ingest:ok train:ok evaluate:ok ingest:reused train:reused evaluate:reused"
assert_eq "$(q "SELECT count(*) FROM versions")" 3 "the reused runs' versions"
assert_eq "$("$A" show "$train" --json | jq -c '[.outputs[].ref]')" \
  '["trk/model:v0"]' "the reused train's output"
run "$A" fsck
assert_rc 0
assert_contains "$err" "0 problems"

# gc_server_within SECONDS ARGS...: runs `aeromancy gc ARGS` (its output in
# $out and $err, its exit code in $rc) and fails when the server spent
# SECONDS of CPU or more meanwhile: the work of gc is the server's. Past
# that, gc is stopped (and its backend with it) rather than waited for.
gc_server_within() {
  local limit=$1 start used gc
  shift
  start=$(aero_pg_cpu)
  "$A" gc "$@" >"$AERO_TMP/out" 2>"$AERO_TMP/err" &
  gc=$!
  while kill -0 "$gc" 2>/dev/null; do
    used=$(awk -v a="$(aero_pg_cpu)" -v b="$start" 'BEGIN { print a - b }')
    awk -v u="$used" -v l="$limit" 'BEGIN { exit !(u < l) }' || break
    sleep 0.1
  done
  if kill -0 "$gc" 2>/dev/null; then
    kill "$gc"
    q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE
       datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
  fi
  wait "$gc"
  rc=$?
  out=$(cat "$AERO_TMP/out")
  err=$(cat "$AERO_TMP/err")
  used=$(awk -v a="$(aero_pg_cpu)" -v b="$start" 'BEGIN { print a - b }')
  awk -v u="$used" -v l="$limit" 'BEGIN { exit !(u < l) }' ||
    fail "gc $* took $used s of the server's CPU: $limit s at most"
}

case_ "gc --keep-dev of a chain a newer run reads: what it needs kept in one pass, the rest removed"
# Made by SQL, as hosts would have recorded it: old dev runs 1..4200, a
# chain (run i made version i and read version i-1), and run 5006, newer,
# which read version 3999 and re-declared version 4000: runs 1..4000
# stay, 4001..4200 go. gc finds them in one pass (collect.c): 0.2-0.4 s
# of the server's CPU. Keeping one link of the chain per round, as it
# did, costs the square of its length (Release: 30-36 s for 1,000 links,
# over 11 min for these 4,200): it is stopped here at the bound. Beside the chain, one of each reference
# from a run that stays and from a candidate kept so: run 2001 also
# re-declared version 5001 (run 5001's); run 5007, newer, reuses run 5004
# (an old reused run, which reuses run 5003: no host makes such a pair,
# but a kept run that reuses is kept the same) and read version 5002 (run
# 5002's); run 5005, old, nothing needs.
aero_team_new_store gcchain
# The schema as a host creates it at its first run (readers refuse a
# database without one), then emptied of that run's rows.
"$AEROHOST" run "$AERO_FIXTURES/bench_steps.so" --dev -- -n 1 >/dev/null 2>&1 ||
  fail "creating the schema"
q "TRUNCATE runs, artifacts RESTART IDENTITY CASCADE" >/dev/null
now=$(date +%s%N)
q "INSERT INTO artifacts (id, project, name)
     SELECT i, 'chain', 'step-' || i FROM generate_series(1, 4200) i
     UNION ALL VALUES (5001, 'chain', 'made'), (5002, 'chain', 'read');
   INSERT INTO runs (id, project, job_type, mode, status, started_at, ended_at)
     SELECT i, 'chain', 'step-' || i, 'dev', 'ok', 1, 1
     FROM generate_series(1, 4200) i;
   INSERT INTO runs (id, project, job_type, mode, status, started_at,
     ended_at, reused_run) VALUES
     (5001, 'chain', 'made', 'dev', 'ok', 1, 1, NULL),
     (5002, 'chain', 'read', 'dev', 'ok', 1, 1, NULL),
     (5003, 'chain', 'reused', 'dev', 'ok', 1, 1, NULL),
     (5004, 'chain', 'reused', 'dev', 'reused', 1, 1, 5003),
     (5005, 'chain', 'lone', 'dev', 'ok', 1, 1, NULL),
     (5006, 'chain', 'step-4000', 'dev', 'ok', $now, $now, NULL),
     (5007, 'chain', 'reused', 'dev', 'reused', $now, $now, 5004);
   INSERT INTO versions (id, artifact_id, version, digest, mode, run_id,
     created_at, published)
     SELECT i, i, 0, 'digest ' || i, 'dev', i, 1, 1
     FROM generate_series(1, 4200) i
     UNION ALL VALUES (5001, 5001, 0, 'made', 'dev', 5001, 1, 1),
                      (5002, 5002, 0, 'read', 'dev', 5002, 1, 1);
   INSERT INTO run_own_outputs SELECT id, id FROM versions;
   INSERT INTO run_own_outputs VALUES (2001, 5001), (5006, 4000);
   INSERT INTO run_inputs SELECT i, i - 1 FROM generate_series(2, 4200) i;
   INSERT INTO run_inputs VALUES (5006, 3999), (5007, 5002);
   SELECT setval('runs_id_seq', 5007), setval('versions_id_seq', 5002),
     setval('artifacts_id_seq', 5002)" >/dev/null
gone="$(seq -s ' ' 4001 4200) 5005 "
gone_runs() {
  grep $'^dev-run\t' <<<"$out" | sed 's/^dev-run\trun \([0-9]*\) .*/\1/' | tr '\n' ' '
}
gc_server_within 5 --keep-dev 1 --dry-run
assert_rc 0
assert_eq "$(gone_runs)" "$gone" "the runs a dry run would remove"
assert_eq "$(q "SELECT count(*) FROM runs")" 4207
gc_server_within 5 --keep-dev 1
assert_rc 0
assert_eq "$(gone_runs)" "$gone" "the runs removed"
assert_contains "$err" " 201 dev runs in "
assert_eq "$(q "SELECT count(*) || ' ' || min(id) || ' ' || max(id) FROM runs
  WHERE id <= 4200")" "4000 1 4000" "the chain's runs"
assert_eq "$(q "SELECT string_agg(id::text, ' ' ORDER BY id) FROM runs
  WHERE id > 4200")" "5001 5002 5003 5004 5006 5007" "the other runs"
assert_eq "$(q "SELECT count(*) FROM versions")" 4002
run "$A" fsck
assert_rc 0
assert_contains "$err" "0 problems"

case_ "gc --keep-dev deleting 4,000 runs among 32,000: each foreign key checked by an index"
# Deleting a version has the server look for a run that read it (the
# foreign key of run_inputs, keyed by run), deleting a run for a version
# it made (that of versions, whose versions_pending holds only pending
# ones): schema 5 indexes both (run_inputs_by_version, versions_by_run,
# db.c). Without them each is a scan of what stays, per row deleted. Made
# by SQL: a chain of 4,000 old dev runs (run i made version i and read
# version i-1), all removed, and one of 28,000 newer runs, which stays;
# VACUUM ANALYZE then, so that the server's CPU is gc's, not autovacuum's
# on the new rows. 0.6 s of the server's CPU; 8.7 s without
# run_inputs_by_version, 17 s without versions_by_run (docs/team-store.md).
aero_team_new_store gcwide
"$AEROHOST" run "$AERO_FIXTURES/bench_steps.so" --dev -- -n 1 >/dev/null 2>&1 ||
  fail "creating the schema"
q "TRUNCATE runs, artifacts RESTART IDENTITY CASCADE" >/dev/null 2>&1
now=$(date +%s%N)
q "INSERT INTO artifacts (id, project, name)
     SELECT i, 'wide', 'step-' || i FROM generate_series(1, 32000) i;
   INSERT INTO runs (id, project, job_type, mode, status, started_at, ended_at)
     SELECT id, 'wide', name, 'dev', 'ok', 1, 1 FROM artifacts WHERE id <= 4000
     UNION ALL SELECT id, 'wide', name, 'dev', 'ok', $now, $now FROM artifacts
     WHERE id > 4000;
   INSERT INTO versions (id, artifact_id, version, digest, mode, run_id,
     created_at, published)
     SELECT id, id, 0, 'digest ' || id, 'dev', id, 1, 1 FROM artifacts;
   INSERT INTO run_own_outputs SELECT id, id FROM versions;
   INSERT INTO run_inputs SELECT id, id - 1 FROM versions
     WHERE id > 1 AND id <> 4001;
   SELECT setval('runs_id_seq', 32000), setval('versions_id_seq', 32000),
     setval('artifacts_id_seq', 32000)" >/dev/null
q "VACUUM ANALYZE" >/dev/null
gc_server_within 3 --keep-dev 1
assert_rc 0
assert_contains "$err" " 4000 dev runs in "
assert_eq "$(q "SELECT count(*) || ' ' || min(id) FROM runs")" "28000 4001"
assert_eq "$(q "SELECT count(*) FROM run_inputs")" 27999

done_
