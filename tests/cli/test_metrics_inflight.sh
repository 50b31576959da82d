#!/usr/bin/env bash
# Metric points still in flight when an action ends: held by the action's
# process (a burst), or logged by a thread the action left running. A run
# recorded ok holds every point whose log call succeeded; a process killed
# before it sent what it held is recorded crashed, never ok. Each case runs
# a few times: where the end falls in the stream differs from run to run.
# Fixture: tests/plugins/metrics_inflight.c (it counts the log calls that
# succeeded in a file, $tally).
. "$(dirname "$0")/../lib.sh"

P=$AERO_FIXTURES/metrics_inflight.so
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
tally=$AERO_TMP/tally

# inflight HOW: runs the fixture; sets $status (of its run), $logged (log
# calls that succeeded) and $recorded (points in the record).
inflight() {
  run "$AEROHOST" run --dev --force "$P" -- --how "$1" --tally "$tally"
  local id
  id=$(sql "SELECT max(id) FROM runs")
  status=$(sql "SELECT status FROM runs WHERE id = $id")
  logged=$(od -An -td8 "$tally" | tr -d ' ')
  recorded=$(sql "SELECT count(*) FROM metrics WHERE run_id = $id")
}

for how in burst thread; do
  case_ "$how: an ok run holds every point logged before it ended"
  for _ in 1 2 3 4 5; do
    inflight "$how"
    assert_rc 0
    assert_eq "$status" ok
    # A call can record its point and be cut off before the fixture
    # counted it (the process leaving): one more, never one less.
    [[ $recorded -ge $logged && $recorded -le $((logged + 1)) ]] ||
      fail "$how: $logged points logged, $recorded recorded"
  done
  [[ $logged -ge 20000 ]] || fail "$how: only $logged points logged"
done

for how in kill thread_kill; do
  case_ "$how: a process killed before it sent all it logged is crashed"
  for _ in 1 2 3; do
    inflight "$how"
    assert_rc 1
    assert_eq "$status" crashed
    assert_contains "$err" "crashed with SIGKILL"
    [[ $recorded -le $((logged + 1)) ]] ||
      fail "$how: $logged points logged, $recorded recorded"
  done
  assert_eq "$(sql "SELECT count(*) FROM run_outputs WHERE run_id IN
                    (SELECT id FROM runs WHERE status = 'crashed')")" 0 \
    "outputs of crashed runs"
done

run "$AEROMANCY" fsck
assert_rc 0

done_
