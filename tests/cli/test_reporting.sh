#!/usr/bin/env bash
# How aerohost reports what an action's process does to its tracker
# channel and its log: garbage on the channel is a named protocol error
# (not "action called exit(1)"), aero_logf lines are labelled once with
# -j 2, and a store that refuses every metric batch (a full disk) gives one
# error line, not one per batch. Fixture: tests/plugins/relay_misuse.c.
. "$(dirname "$0")/../lib.sh"

P=$AERO_FIXTURES/relay_misuse.so

# col JOB COLUMN: COLUMN of the latest run of JOB.
col() {
  sql "SELECT $2 FROM runs WHERE job_type = '$1' ORDER BY id DESC LIMIT 1"
}

for how in garbage huge; do
  case_ "$how on the tracker channel is a protocol error"
  run "$AEROHOST" run --dev "$P" -- --how "$how"
  assert_rc 1
  assert_eq "$(col first status)" "failed"
  assert_contains "$(col first message)" "tracker protocol error: the action sent a tracker"
  assert_not_contains "$(col first message)" "exit("
  assert_contains "$err" "Failed [first] one: tracker protocol error"
  assert_eq "$(grep -c 'its later tracker calls fail' <<<"$err")" 1
done
assert_contains "$(col first message)" "tracker frame of 4294967280 bytes"
run "$AEROHOST" run --dev "$P" -- --how garbage
assert_contains "$(col first message)" "cannot read (kind 99)"

for jobs in 1 2; do
  case_ "aero_logf lines carry the action's label once (-j $jobs)"
  run "$AEROHOST" run --dev --force -j "$jobs" "$P" -- --how logf
  assert_rc 0
  assert_eq "$(grep 'from logf' <<<"$err")" \
    $'[first one] hello from logf\n[first one] warning: careful from logf'
done

# Local store only: the full disk is the SQLite file's, made with ulimit.
if [[ $AERO_TEST_BACKEND == local ]]; then
  case_ "a full disk while logging metrics is one error line"
  run "$AEROHOST" run --dev "$P" -- --how logf
  assert_rc 0
  # The write-ahead log restarts at 0, then may grow to 256 KiB: enough to
  # record the run's start, far too little for 2000 metrics of 600 bytes.
  sql 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  (
    trap '' XFSZ
    ulimit -f 256
    exec "$AEROHOST" run --dev --force "$P" -- --how metrics --count 2000
  ) >"$AERO_TMP/out" 2>"$AERO_TMP/err"
  rc=$?
  err=$(cat "$AERO_TMP/err")
  assert_rc 2
  assert_eq "$(grep -c 'not recorded' <<<"$err")" 1
  assert_contains "$err" "aerohost: error: [first] one "
  # Its record lacks them: the run is no success (here its end cannot be
  # recorded either).
  assert_not_contains "$(col first status)" ok
  [[ $(grep -c '' <<<"$err") -le 5 ]] || fail "more than 5 lines: $err"
fi

done_
