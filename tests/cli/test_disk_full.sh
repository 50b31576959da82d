#!/usr/bin/env bash
# A local store whose file system fills up during a run (ENOSPC while
# SQLite writes its WAL, or while a blob is written): while the action
# logs metrics, when it declares its output, when its run ends (the
# outputs published with it), when its output is stored (by aerohost or,
# a large one, by the action's process). Each time: exit 2, a line naming
# the store and the cause, the run never recorded `ok` nor its output
# published, the earlier runs untouched, and `aeromancy fsck` clean once
# space is back and the next host recorded what this one could not.
# The store lives on a tmpfs of 8 MiB; the exec_pipeline fixture's train
# action fills it (`--how fill_...`, with STORE/filler).
. "$(dirname "$0")/../lib.sh"

EXEC=$AERO_FIXTURES/exec_pipeline.so
TRK=$AERO_FIXTURES/trk_pipeline.so
A=$AEROMANCY
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME

mnt=$AERO_TMP/small-fs
mkdir -p "$mnt"
trap 'umount -l "$AERO_TMP/small-dest" "$mnt" 2>/dev/null; rm -rf "$AERO_TMP"' EXIT
if ! mount -t tmpfs -o size=8m tmpfs "$mnt" 2>/dev/null; then
  if [[ ${CI:-} == true ]]; then
    fail "cannot mount a tmpfs to fill (CI runs the tests as root)"
    done_
  fi
  echo "test_disk_full: skipped: mounting a tmpfs needs root" >&2
  exit 0
fi
export AEROMANCY_STORE=$mnt/store
DB=$AEROMANCY_STORE/aeromancy.db

# The record of every run so far (with its metrics and outputs), to compare
# once a run failed to record.
snapshot() {
  sql "SELECT id, status, ended_at, message FROM runs WHERE id <= $1 ORDER BY id;
       SELECT run_id, id, version, digest, published FROM versions
         WHERE run_id <= $1 ORDER BY id;
       SELECT run_id, key, count, last_value FROM metric_summaries
         WHERE run_id <= $1 ORDER BY 1, 2;
       SELECT count(*) FROM metrics WHERE run_id <= $1;
       SELECT run_id, message FROM run_logs WHERE run_id <= $1 ORDER BY id"
}

run "$AEROHOST" run --dev "$TRK"
assert_rc 0
run "$AEROHOST" run --dev "$EXEC"
assert_rc 0
earlier=$(sql "SELECT max(id) FROM runs")
before=$(snapshot "$earlier")
[[ $(sql "SELECT count(*) FROM metrics") -gt 0 ]] || fail "no earlier metrics"

# full HOW [HOST_FLAGS...]: train (HOW) fills the store and the host exits
# 2 naming the store's database and the cause; train's run is not ok and
# its output not published. Sets $train.
full() {
  local how=$1
  shift
  run "$AEROHOST" run --dev --force "$@" "$EXEC" -- --misbehave train \
    --how "$how"
  assert_rc 2
  assert_contains "$err" "$DB: committing: no space left on device"
  # Said when it happens and in the run's end line, never once per batch.
  local lines
  lines=$(grep -c 'no space left on device' <<<"$err")
  [[ $lines -ge 1 && $lines -le 2 ]] || fail "$how: $lines lines name the cause: $err"
  assert_not_contains "$err" "OK [train]"
  train=$(sql "SELECT max(id) FROM runs WHERE job_type = 'train'")
  [[ $train -gt $earlier ]] || fail "$how: train's run was not recorded"
  assert_not_contains "$(sql "SELECT status FROM runs WHERE id = $train")" ok
  assert_eq "$(sql "SELECT count(*) FROM run_outputs WHERE run_id = $train")" \
    0 "$how: train's published outputs"
  assert_eq "$(sql "SELECT count(*) FROM runs WHERE id > $train")" 0 \
    "$how: runs after train's (the host stops at the store's failure)"
}

# intact: space is back (the filler removed), the earlier runs are as they
# were, and fsck finds the store sound once a host recorded the run whose
# end could not be (if any).
intact() {
  rm -f "$AEROMANCY_STORE/filler"
  assert_eq "$(snapshot "$earlier" | grep -v "^$train|")" \
    "$(grep -v "^$train|" <<<"$before")" "the earlier runs"
  if [[ $(sql "SELECT status FROM runs WHERE id = $train") == running ]]; then
    run "$A" fsck
    assert_rc 1
    assert_eq "$(cut -f1-2 <<<"$out")" "abandoned	$train"
    run "$AEROHOST" run --dev --force "$TRK" --only ingest
    assert_rc 0
    assert_eq "$(sql "SELECT status FROM runs WHERE id = $train")" killed
  fi
  run "$A" fsck
  assert_rc 0
  assert_contains "$err" " 0 problems in "
  earlier=$(sql "SELECT max(id) FROM runs")
  before=$(snapshot "$earlier")
}

case_ "full while the action logs metrics: the run fails, not ok without them"
full fill_metrics
assert_contains "$err" "aerohost: error: [train] model "
assert_contains "$err" " not recorded: $DB: committing: no space left on device"
assert_eq "$(sql "SELECT status FROM runs WHERE id = $train")" failed
assert_contains "$(sql "SELECT message FROM runs WHERE id = $train")" \
  "of the metrics and log lines it logged: $DB: committing: no space left on device"
intact

case_ "full while the action logs metrics on the host's stack (--no-isolation)"
full fill_metrics --no-isolation
assert_eq "$(sql "SELECT status FROM runs WHERE id = $train")" failed
assert_contains "$(sql "SELECT message FROM runs WHERE id = $train")" \
  "of the metrics and log lines it logged: $DB: committing"
intact

case_ "full when the action declares its output"
full fill_declare
intact

case_ "full when an output is stored, by aerohost or by the action's process: exit 2 both"
# The action fills the store, declares its output (a file outside the
# store) and removes the filler: the run's end is recorded, failed and
# saying why, and the exit code is the store's failure whichever process
# stored the output. A large one (16 MiB or more) is stored by the
# action's own process, where aerohost never saw the store fail: it exited
# 1 for it, 2 for a small one. And the same on the host's stack.
head -c 1000000 /dev/urandom >"$AERO_TMP/small.bin"
head -c $((17 << 20)) /dev/urandom >"$AERO_TMP/large.bin"
for size in small large; do
  for isolation in "" --no-isolation; do
    run "$AEROHOST" run --dev --force ${isolation:+"$isolation"} "$EXEC" -- --misbehave \
      train --how fill_free --declare "$AERO_TMP/$size.bin"
    assert_rc 2
    assert_contains "$err" "Failed [train] model: store $AEROMANCY_STORE: \
cannot store $AERO_TMP/$size.bin: No space left on device"
    train=$(sql "SELECT max(id) FROM runs WHERE job_type = 'train'")
    [[ $train -gt $earlier ]] || fail "$size $isolation: train's run was not recorded"
    assert_eq "$(sql "SELECT status FROM runs WHERE id = $train")" failed \
      "$size $isolation: train's run"
    assert_eq "$(sql "SELECT count(*) FROM run_outputs WHERE run_id = $train")" \
      0 "$size $isolation: train's published outputs"
    [[ ! -e $AEROMANCY_STORE/filler ]] || fail "$size $isolation: the filler stayed"
  done
done
intact

case_ "full when the run ends and publishes its output"
full fill_store
assert_eq "$(sql "SELECT status FROM runs WHERE id = $train")" running
assert_contains "$err" "recording the run failed: $DB: committing: no space left on device"
intact

case_ "full before a new store's database is made: the cause is named"
# 8 KiB left: the database's first page fits, the WAL index (-shm) does
# not, and SQLite says "disk I/O error": the line names the cause the
# system gave instead.
avail=$(df --output=avail -B1 "$mnt" | tail -1)
head -c $((avail - 8192)) /dev/zero >"$mnt/filler-all"
run "$AEROHOST" run --dev --store "$mnt/fresh" "$TRK"
rm -f "$mnt/filler-all"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "$mnt/fresh/aeromancy.db: "
assert_contains "$err" ": no space left on device"
assert_not_contains "$err" "disk I/O error"
run "$AEROHOST" run --dev --store "$mnt/fresh" "$TRK"
assert_rc 0

case_ "full while export copies a version's file: no cut-short file is left"
# Another file system than the store's: export copies instead of linking.
# A copy is written under a hidden temp name and linked to its own once
# whole: what stays under the file's name is never a read-only file cut
# short, whether the disk fills up (the temp file removed) or the command
# is killed.
small=$AERO_TMP/small-dest
mkdir -p "$small"
if mount -t tmpfs -o size=1m tmpfs "$small" 2>/dev/null; then
  head -c 1500000 /dev/urandom >"$AERO_TMP/big.bin"
  run "$AEROHOST" run --dev "$AERO_FIXTURES/bench_hash.so" -- --file \
    "$AERO_TMP/big.bin" --name big
  assert_rc 0
  run "$A" export big "$small/e"
  left=$(ls -A "$small/e")
  umount -l "$small"
  assert_rc 2
  assert_one_line "$err"
  assert_contains "$err" "cannot write $small/e/big.bin: No space left on device"
  assert_eq "$left" "" "what the export left"
  # Killed midway (SIGXFSZ past a file size limit, as a Ctrl-C would):
  # the copy's hidden temp file stays, nothing under the file's name.
  run bash -c 'ulimit -f 1000; exec "$0" export big "$1"' "$A" \
    "$AERO_TMP/killed"
  assert_rc 153
  assert_eq "$(ls "$AERO_TMP/killed")" "" "a file under its name"
fi

done_
