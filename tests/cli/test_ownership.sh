#!/usr/bin/env bash
# Runs whose host could not record how they ended. A host that cannot
# record a run's end (the database locked past its busy timeout, a full
# disk) keeps its owner file, so that the next host records the run
# killed; the host that takes over a dead owner's runs (kill -9) removes
# what they left in the store's tmp/: scratch folders, half-written blobs,
# half-built views.
. "$(dirname "$0")/../lib.sh"

EXEC=$AERO_FIXTURES/exec_pipeline.so
HASH=$AERO_FIXTURES/bench_hash.so
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME

owners() { ls "$AEROMANCY_STORE/owners" 2>/dev/null | wc -l; }

# unrecorded RUNNER HOW RELEASE: train declares model, then (--how HOW)
# makes recording its end fail; RUNNER runs that host (run, or
# run_store_locked). Its run stays running and its owner file stays; once
# RELEASE (a command) lifted the cause, the next host records it killed.
# Its output (small: kept by the host for the commit of the run's end,
# docs/store.md "Versions") is never written, before or after.
unrecorded() {
  local runner=$1 how=$2 release=$3 train
  "$runner" "$AEROHOST" run --dev "$EXEC" -- --misbehave train --how "$how"
  assert_rc 2
  assert_contains "$err" "recording the run failed: "
  train=$(sql "SELECT id FROM runs WHERE job_type = 'train'")
  assert_eq "$(sql "SELECT status FROM runs WHERE id = $train")" running
  assert_eq "$(owners)" 1 "the owner file of a host with an unrecorded run"
  assert_eq "$(sql "SELECT count(*) FROM versions WHERE run_id = $train")" 0 \
    "the output of a run whose end was not recorded"
  "$release"
  run "$AEROHOST" run --dev "$EXEC"
  assert_rc 0
  assert_eq "$(sql "SELECT status FROM runs WHERE id = $train")" killed
  assert_contains "$(sql "SELECT message FROM runs WHERE id = $train")" \
    "aerohost ended without recording how this run ended"
  assert_eq "$(sql "SELECT count(*) FROM versions WHERE run_id = $train")" 0 \
    "the unrecorded run's pending output"
  assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'running'")" 0
  assert_eq "$(owners)" 0
}
lock_released() {
  wait_until 150 0.1 sql "BEGIN IMMEDIATE; COMMIT;" 2>/dev/null
  return 0
}
space_freed() { rm -f "$AEROMANCY_STORE/filler"; }
# runs_while_locked MARKER: `aeromancy runs --status running` (into $out,
# $err, $rc) while the sqlite3 shell holds the store's write lock (it
# touches $AERO_TMP/MARKER once it does); how long it took in $took_ms.
runs_while_locked() {
  local locker start
  sqlite3 "$AEROMANCY_STORE/aeromancy.db" ".timeout 5000" "BEGIN IMMEDIATE;" \
    ".shell touch '$AERO_TMP/$1' && sleep 30" "COMMIT;" >/dev/null 2>&1 &
  locker=$!
  wait_until 100 0.05 test -e "$AERO_TMP/$1" || fail "the lock was not taken"
  start=$(date +%s%N)
  run "$AEROMANCY" runs --status running
  took_ms=$((($(date +%s%N) - start) / 1000000))
  kill "$locker"
  wait "$locker" 2>/dev/null
}

case_ "run end unrecorded (store locked): ownership kept, the next host records it"
# The test holds the write lock longer than the host waits to record.
export AEROMANCY_STORE="$AERO_TMP/locked"
unrecorded run_store_locked lock_store lock_released

case_ "run end unrecorded (disk full): ownership kept, the next host records it"
# A file system of its own, 8 MiB, that train fills after declaring model.
mnt=$AERO_TMP/small-fs
mkdir -p "$mnt"
trap 'umount -l "$mnt" 2>/dev/null; rm -rf "$AERO_TMP"' EXIT
if mount -t tmpfs -o size=8m tmpfs "$mnt" 2>/dev/null; then
  export AEROMANCY_STORE="$mnt/store"
  unrecorded run fill_store space_freed
  umount "$mnt"
elif [[ ${CI:-} == true ]]; then
  fail "cannot mount a tmpfs to fill (CI runs the tests as root)"
else
  echo "test_ownership: disk-full case skipped: mounting a tmpfs needs root" >&2
fi

case_ "a reader records a dead host's run killed, and leaves a live host's running"
export AEROMANCY_STORE="$AERO_TMP/readers"
start_hanging # a live host, its train hanging
live_host=$host
live=$(sql "SELECT id FROM runs WHERE status = 'running'")
start_abandoned sql # then one killed with SIGKILL
dead=$(sql "SELECT id FROM runs WHERE status = 'running' AND id <> $live")
[[ -n $live && -n $dead ]] || fail "runs left running: '$live' '$dead'"
assert_eq "$(owners)" 2 "the owner files of the live host and of the dead one"
# While another process holds the write lock, a reader does not wait it
# out (a host's 10 s): it reads the dead host's run as it is.
runs_while_locked held
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | cut -f1 | sort -n | paste -sd' ')" "$live $dead" \
  "both runs still running while the lock is held"
((took_ms < 5000)) || fail "aeromancy runs waited ${took_ms} ms for the write lock"
run "$AEROMANCY" runs --status killed
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | cut -f1)" "$dead" "the killed runs listed"
assert_eq "$(sql "SELECT status FROM runs WHERE id = $dead")" killed
assert_contains "$(sql "SELECT message FROM runs WHERE id = $dead")" \
  "aerohost ended without recording how this run ended"
assert_eq "$(sql "SELECT status FROM runs WHERE id = $live")" running
assert_eq "$(owners)" 1 "the live host's owner file"
run "$AEROMANCY" show "$live"
assert_rc 0
assert_eq "$(sql "SELECT status FROM runs WHERE id = $live")" running
# fsck reports what it finds and changes nothing without --repair.
kill -KILL "$live_host"
wait "$live_host" 2>/dev/null
run "$AEROMANCY" fsck
assert_rc 1
assert_contains "$out" "$(printf 'abandoned\t%s\t' "$live")"
assert_eq "$(sql "SELECT status FROM runs WHERE id = $live")" running
run "$AEROMANCY" gc --dry-run
assert_rc 0
assert_eq "$(sql "SELECT status FROM runs WHERE id = $live")" running
run "$AEROMANCY" show "$live" --json
assert_rc 0
assert_eq "$(jq -r .status <<<"$out")" killed

case_ "a reader waits 0.2 s in all for the write lock, however many dead runs"
# A dead host leaves a running run per -j slot; each is settled in a
# transaction of its own, and the 0.2 s a reader gives the lock bounds
# them together (at 0.2 s each, these 40 runs would take 8 s).
export AEROMANCY_STORE="$AERO_TMP/many-dead"
start_abandoned sql
dead=$hung
sql "CREATE TEMP TABLE copy AS SELECT * FROM run_records WHERE id = $dead;
  UPDATE copy SET id = NULL;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 39)
  INSERT INTO run_records SELECT copy.* FROM n, copy;
  INSERT INTO run_env (run_id, key, value) SELECT r.id, e.key, e.value
  FROM run_records r, run_env e WHERE r.id > $dead AND e.run_id = $dead
  AND e.key = 'owner';"
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'running'")" 40 \
  "the dead host's running runs"
runs_while_locked held-many
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | grep -c .)" 40 "runs still running while the lock is held"
((took_ms < 3000)) || fail "aeromancy runs waited ${took_ms} ms for the write lock"
run "$AEROMANCY" runs --status killed
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | grep -c .)" 40 "the dead host's runs, killed once the lock is free"
assert_eq "$(owners)" 0

case_ "a dead host's run ends when it was last seen alive, not when it was noticed"
# Its last metric point and log line reach the store; then its host is
# killed, and the run is noticed 1.5 s later: it ended at its last line.
export AEROMANCY_STORE="$AERO_TMP/last-sign"
"$AEROHOST" run --dev "$EXEC" -- --misbehave train --how hang_logged \
  >/dev/null 2>&1 &
victim=$!
logged() { # (the sqlite3 shell would create a missing database file)
  [[ -s $AEROMANCY_STORE/aeromancy.db ]] &&
    [[ $(sql "SELECT count(*) FROM run_logs WHERE message = 'about to hang'" \
      2>/dev/null) == 1 ]]
}
wait_until 200 0.05 logged || fail "the hanging action's line never arrived"
kill -KILL "$victim"
wait "$victim" 2>/dev/null
sleep 1.5
run "$AEROMANCY" runs --status killed
assert_rc 0
id=$(sql "SELECT id FROM runs WHERE status = 'killed'")
[[ -n $id ]] || fail "no run recorded killed"
last=$(sql "SELECT max(t) FROM (SELECT logged_at AS t FROM metrics WHERE run_id = $id
  UNION ALL SELECT logged_at FROM run_logs WHERE run_id = $id)")
assert_eq "$(sql "SELECT ended_at FROM runs WHERE id = $id")" "$last" \
  "ended_at, against its last metric point or log line"
assert_eq "$(sql "SELECT count(*) FROM metrics WHERE run_id = $id")" 1 "its point"
run "$AEROMANCY" show "$id" --json
jq -e '.duration_s < 1' <<<"$out" >/dev/null ||
  fail "duration $(jq .duration_s <<<"$out") s for a run that lived < 1 s"

case_ "kill -9 while storing an output: the next host removes what the run left"
export AEROMANCY_STORE="$AERO_TMP/killed"
# Large enough (a direct store by the action's process) that storing it
# takes a while; the host is killed once its temp blob exists.
head -c $((96 << 20)) /dev/urandom >"$AERO_TMP/big.bin"
setsid "$AEROHOST" run "$HASH" --dev -- --file "$AERO_TMP/big.bin" \
  --name big >/dev/null 2>&1 &
victim=$!
seen=
temp_blob_seen() {
  seen=$(find "$AEROMANCY_STORE/tmp" -name '.blob-*' 2>/dev/null | head -1)
  [[ -n $seen ]]
}
wait_until 1000 0.01 temp_blob_seen
kill -9 "$victim"
wait "$victim" 2>/dev/null
# The action's process dies with its host (PR_SET_PDEATHSIG).
wait_until 100 0.05 session_ended "$victim"
[[ -n $seen ]] || fail "no temp blob appeared in a run's scratch folder"
id=$(sql "SELECT id FROM runs WHERE status = 'running'")
assert_eq "$id" 1 "the killed run, still running"
assert_contains "$seen" "/tmp/run-$id/.blob-"
# A view being built when the host died: named with its owner's token.
token=$(ls "$AEROMANCY_STORE/owners")
mkdir -p "$AEROMANCY_STORE/tmp/view-9-$token-Ab12Cd"
: >"$AEROMANCY_STORE/tmp/view-9-$token-Ab12Cd/half"
mkdir -p "$AEROMANCY_STORE/tmp/view-9-0123456789abcdef-Zz99Zz"
echo small >"$AERO_TMP/small.bin"
run "$AEROHOST" run "$HASH" --dev -- --file "$AERO_TMP/small.bin" --name small
assert_rc 0
assert_eq "$(sql "SELECT status FROM runs WHERE id = $id")" killed
assert_eq "$(ls "$AEROMANCY_STORE/tmp" | sort | tr '\n' ' ')" \
  "view-9-0123456789abcdef-Zz99Zz " "tmp/ after the take-over (another owner's view stays)"
assert_eq "$(find "$AEROMANCY_STORE" -name '.blob-*' -o -name '.tmp-*' | wc -l)" 0
assert_eq "$(owners)" 0

done_
