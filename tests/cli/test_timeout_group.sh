#!/usr/bin/env bash
# --timeout ends the action's whole process group, not only the action's
# own process: a helper process the action started (which would otherwise
# outlive it, working on unrecorded) is gone when aerohost returns.
. "$(dirname "$0")/../lib.sh"

P=$AERO_FIXTURES/exec_pipeline.so
marker=$AERO_TMP/train.pid

# alive PID: the process exists and is not a zombie (one waiting for a
# parent to reap it has ended).
alive() {
  aero_alive "$1"
}

case_ "timeout: the action and the child it started are both ended"
# ingest first, without a timeout: --timeout applies to every action, and
# on a loaded machine (the .postgres variant under a parallel suite) ingest
# alone has taken over 1 s. Only train, which hangs, runs under the timeout.
run "$AEROHOST" run --dev --only ingest "$P"
assert_rc 0
run "$AEROHOST" run --dev --only train --timeout 1 "$P" -- --misbehave train \
  --how hang_tree --marker "$marker"
assert_rc 1
assert_contains "$err" "Failed [train] model: timed out after 1 s"
assert_eq "$(sql "SELECT status FROM runs WHERE job_type = 'train'")" timed_out
action=$(cat "$marker" 2>/dev/null)
helper=$(cat "$marker.child" 2>/dev/null)
[[ -n $action && -n $helper ]] || fail "the action did not start its child"
# The group got SIGTERM before aerohost returned; give the kernel a moment
# to finish the helper off.
gone() { ! alive "$1"; }
wait_until 40 0.05 gone "$helper"
if [[ -n $helper ]] && alive "$helper"; then
  fail "the action's child $helper outlived the timeout"
  kill -9 "$helper"
fi
[[ -n $action ]] && alive "$action" && fail "the action $action outlived the timeout"

done_
