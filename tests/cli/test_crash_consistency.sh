#!/usr/bin/env bash
# Crash consistency: aerohost killed with SIGKILL at random moments while
# its runs store and publish outputs (small ones over the relay, at random;
# large ones stored by the action's own process, aimed at the blob being
# written), trial after trial on one store; then
# one more host takes over, and the store is checked: the database's
# integrity, every version complete with every blob intact, no half-written
# blob or view anywhere, every dead host's runs recorded, nothing left in
# tmp/ or owners/. AERO_CRASH_TRIALS sets the number of trials (default 20,
# well under a minute here).
. "$(dirname "$0")/../lib.sh"

TRK=$AERO_FIXTURES/trk_pipeline.so
HASH=$AERO_FIXTURES/bench_hash.so
N=${AERO_CRASH_TRIALS:-20}
S=$AEROMANCY_STORE
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME

# 24 MiB: past the size from which the action's process stores it itself
# (16 MiB, relay_client.c), and long enough to write that a kill can land
# in the middle. Each of the N/2 trials that write it keeps a new version:
# 64 MiB made the test write and check 0.6 GiB, and under a loaded disk
# take 15 times its 11 s.
head -c $((24 << 20)) /dev/urandom >"$AERO_TMP/big.bin"

# live_in_session SID: the processes of session SID that have not ended.
live_in_session() {
  ps -o stat=,pid= -s "$1" | awk '$1 !~ /^Z/ { print $2 }'
}
none_live_in_session() { [[ -z $(live_in_session "$1") ]]; }
# temp_blob_in STORE: a blob is being written into STORE.
temp_blob_in() { [[ -n $(find "$1/tmp" -name '.blob-*' 2>/dev/null) ]]; }

case_ "$N hosts killed with SIGKILL at random moments"
mid_run=0
for i in $(seq "$N"); do
  if ((i % 2)); then
    # New content each time: a new blob to write, a new version to publish.
    printf 'trial %d\n' "$i" >>"$AERO_TMP/big.bin"
    # --force: the action's config does not name the file's content, so
    # a past success would be reused instead of run.
    cmd=("$AEROHOST" run "$HASH" --dev --force -- --file "$AERO_TMP/big.bin"
      --name big)
  else
    cmd=("$AEROHOST" run "$TRK" --dev --force -- --content "trial $i" \
      --sleep-ms $((RANDOM % 150)))
  fi
  setsid "${cmd[@]}" >/dev/null 2>&1 &
  host=$!
  if ((i % 2)); then
    # Aimed: while the large blob is being written (0-4 ms after its temp
    # file appeared).
    wait_until 600 0.005 temp_blob_in "$S"
    sleep "0.00$((RANDOM % 5))"
  else
    sleep "0.$(printf '%03d' $((RANDOM % 500)))"
  fi
  [[ $(sql "SELECT count(*) FROM runs WHERE status = 'running'" 2>/dev/null) -gt 0 ]] &&
    mid_run=$((mid_run + 1))
  kill -9 "$host" 2>/dev/null
  wait "$host" 2>/dev/null
  # Its action dies with it (PR_SET_PDEATHSIG): wait until none is left, so
  # that nothing writes to the store while it is checked. Zombies waiting
  # for init to reap them have ended.
  wait_until 100 0.02 none_live_in_session "$host"
  assert_eq "$(live_in_session "$host")" "" "processes of killed host $i"
done
((mid_run > 0)) || fail "no host was killed while a run was running"

case_ "the next host takes over and runs"
run "$AEROHOST" run "$TRK" --dev -- --content after
assert_rc 0

case_ "the database is intact"
assert_eq "$(sql "PRAGMA integrity_check")" ok
assert_eq "$(sql "PRAGMA foreign_key_check")" ""

case_ "every dead host's runs are recorded"
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'running' OR ended_at IS NULL")" 0
[[ $(sql "SELECT count(*) FROM runs WHERE status = 'killed'") -gt 0 ]] ||
  fail "no run recorded killed after $mid_run kills mid-run"
assert_eq "$(ls "$S/owners" | wc -l)" 0 "owner files left"

case_ "every version is complete; no pending one is left"
assert_eq "$(sql "SELECT count(*) FROM versions WHERE published = 0 OR version IS NULL")" 0
assert_eq "$(sql "SELECT count(*) FROM versions v WHERE NOT EXISTS
  (SELECT 1 FROM version_files f WHERE f.version_id = v.id)")" 0
# (A reused run holds the versions of the run it stands for.)
assert_eq "$(sql "SELECT count(*) FROM run_outputs o JOIN runs r ON r.id = o.run_id
  WHERE r.status NOT IN ('ok', 'reused')")" 0 "outputs of runs that did not succeed"
bad=0
while IFS='|' read -r hash size; do
  blob=$(blob_file "$hash") # a copy of a row of the database, or the file
  if [[ ! -f $blob || $(stat -c %s "$blob") != "$size" ||
    $(sha256sum <"$blob" | cut -d' ' -f1) != "$hash" ]]; then
    fail "blob $hash of a version is missing or wrong"
    bad=1
  fi
done < <(sql "SELECT DISTINCT sha256, size FROM version_files")
((bad == 0)) || true

case_ "no half-written blob or view is visible or left behind"
while read -r blob; do
  name=$(basename "$(dirname "$blob")")$(basename "$blob")
  [[ $(sha256sum <"$blob" | cut -d' ' -f1) == "$name" ]] ||
    fail "$blob is not named by its content"
done < <(find "$S/blobs" -type f ! -name '.*')
assert_eq "$(find "$S" -name '.tmp-*' -o -name '.blob-*' | wc -l)" 0 "temp blobs"
assert_eq "$(ls "$S/tmp" | tr "\n" " ")" "" "entries in tmp/"
for view in "$S"/views/*; do
  [[ -d $view ]] || continue
  id=$(basename "$view")
  assert_eq "$(sql "SELECT published FROM versions WHERE id = $id")" 1 "view $id"
done

done_
