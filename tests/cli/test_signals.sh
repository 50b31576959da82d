#!/usr/bin/env bash
# SIGTERM, SIGINT and SIGHUP sent to aerohost while actions run: the signal reaches
# the actions' processes, which die; their runs are recorded killed; nothing
# else starts; aerohost exits 128+N.
. "$(dirname "$0")/../lib.sh"

P=$AERO_FIXTURES/exec_pipeline.so
marker=$AERO_TMP/marker

# start ARGS...: aerohost run in the background ($host), waits until the
# misbehaving action wrote its pid ($child).
start() {
  fresh_store
  rm -f "$marker"
  "$AEROHOST" run --dev "$@" >"$AERO_TMP/out" 2>"$AERO_TMP/err" &
  host=$!
  child=
  wait_until 200 0.05 test -s "$marker" && child=$(cat "$marker")
  [[ -n $child ]] || fail "the action never started: $(cat "$AERO_TMP/err")"
}

# finish: waits for aerohost; $rc, $err; $took_ms since $sent.
finish() {
  wait "$host"
  rc=$?
  took_ms=$((($(date +%s%N) - sent) / 1000000))
  err=$(cat "$AERO_TMP/err")
}

signal_host() {
  sent=$(date +%s%N)
  kill "-$1" "$host"
}

col() {
  sql "SELECT coalesce(CAST($2 AS text), '') FROM runs WHERE job_type = '$1'"
}

for sig in TERM INT; do
  num=$(kill -l "$sig")
  case_ "SIG$sig while an action runs"
  start "$P" -- --misbehave train --how hang --marker "$marker"
  signal_host "$sig"
  finish
  assert_rc $((128 + num))
  assert_eq "$(col train status)" killed
  assert_eq "$(col train signal)" "$num"
  assert_eq "$(col train message)" "interrupted by SIG$sig"
  assert_eq "$(col ingest status)" ok
  assert_eq "$(sql "SELECT count(*) FROM runs")" 2 "nothing else started"
  kill -0 "$child" 2>/dev/null && fail "action process $child survived"
  assert_contains "$err" "interrupted by SIG$sig"
  ((took_ms < 4000)) || fail "took $took_ms ms to stop"
done

case_ "SIGHUP (a closed terminal) stops like SIGTERM: runs recorded killed"
start "$P" -- --misbehave train --how hang --marker "$marker"
signal_host HUP
finish
assert_rc 129
assert_eq "$(col train status)" killed
assert_eq "$(col train message)" "interrupted by SIGHUP"
assert_eq "$(col ingest status)" ok
assert_eq "$(sql "SELECT count(*) FROM runs")" 2 "nothing else started"
kill -0 "$child" 2>/dev/null && fail "action process $child survived"
assert_contains "$err" "interrupted by SIGHUP"
((took_ms < 4000)) || fail "took $took_ms ms to stop"

case_ "SIGTERM with -j 2 reaches every running action"
start -j 2 "$P" -- --misbehave ingest --how hang --marker "$marker" --sleep 30
signal_host TERM
finish
assert_rc 143
assert_eq "$(col ingest status)" killed
assert_eq "$(col side status)" killed
assert_eq "$(sql "SELECT count(*) FROM runs")" 2
((took_ms < 4000)) || fail "took $took_ms ms to stop"

case_ "an action ignoring SIGTERM is killed; a second signal does not wait"
start "$P" -- --misbehave train --how stubborn --marker "$marker"
signal_host TERM
sleep 0.3
kill -0 "$host" 2>/dev/null || fail "aerohost exited before its action did"
kill -TERM "$host"
finish
assert_rc 143
assert_eq "$(col train status)" killed
kill -0 "$child" 2>/dev/null && fail "action process $child survived"
((took_ms < 3000)) || fail "took $took_ms ms to stop"

case_ "an action ignoring SIGTERM is killed after the grace period"
start "$P" -- --misbehave train --how stubborn --marker "$marker"
signal_host TERM
finish
assert_rc 143
assert_eq "$(col train status)" killed
kill -0 "$child" 2>/dev/null && fail "action process $child survived"
((took_ms >= 1000 && took_ms < 15000)) || fail "took $took_ms ms to stop"

done_
