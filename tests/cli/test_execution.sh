#!/usr/bin/env bash
# aerohost run of the exec_pipeline fixture, whose actions misbehave on
# demand: each way an action can end is recorded against its run in the
# real store, its dependents are skipped, the host survives and exits with
# the documented code. Pipeline (run order): [ingest] data, [train] model,
# [side] notes, [evaluate] report (reads model).
. "$(dirname "$0")/../lib.sh"

P=$AERO_FIXTURES/exec_pipeline.so

# go ARGS... -- FLAGS: one dev run on a fresh store.
go() {
  fresh_store
  run "$AEROHOST" run --dev "$@"
}

# runs: "job_type status" per run, in order, on one line.
runs() {
  sql "SELECT job_type || ':' || status FROM runs ORDER BY id" | tr '\n' ' '
}

# ended PID: the process is gone or a zombie (one waiting for its parent
# to reap it has ended).
ended() {
  ! aero_alive "$1"
}
# alive PID: the process runs. Waits up to 1 s for it to end.
alive() {
  ! wait_until 20 0.05 ended "$1"
}

# col JOB COLUMN: one column of the run of JOB (as text: PostgreSQL's
# coalesce wants one type).
col() {
  sql "SELECT coalesce(CAST($2 AS text), '') FROM runs WHERE job_type = '$1'"
}

case_ "all ok"
go "$P"
assert_rc 0
assert_eq "$(runs)" "ingest:ok train:ok side:ok evaluate:ok "
assert_contains "$err" "[1/4] Running [ingest] data"
assert_contains "$err" "[4/4] OK [evaluate] report ("
assert_contains "$err" "4 ok, 0 failed, 0 skipped in "
assert_eq "$out" "" "stdout is for data"
assert_eq "$(sql "SELECT count(*) FROM artifact_versions")" 4

case_ "an error: message recorded, dependents skipped, the rest not started"
go "$P" -- --misbehave train --how fail
assert_rc 1
assert_eq "$(runs)" "ingest:ok train:failed side:skipped evaluate:skipped "
assert_eq "$(col train message)" "training diverged: loss is NaN"
id=$(sql "SELECT id FROM runs WHERE job_type = 'train'")
assert_contains "$err" "[2/4] Failed [train] model: training diverged: loss is NaN (run $id)"
assert_eq "$(col evaluate message)" "parent [train] model failed"
assert_contains "$(col side message)" "not started after [train] model failed"
assert_contains "$err" "1 ok, 1 failed, 2 skipped in "
# The summary names every run recorded, the skipped ones too.
assert_contains "$err" "; runs $(sql "SELECT min(id) FROM runs")-$(sql "SELECT max(id) FROM runs") in "
assert_eq "$(sql "SELECT group_concat(name) FROM artifact_versions")" "data"

case_ "-k: independent branches go on"
go -k "$P" -- --misbehave train --how fail
assert_rc 1
assert_eq "$(runs)" "ingest:ok train:failed side:ok evaluate:skipped "
assert_contains "$err" "2 ok, 1 failed, 1 skipped in "

case_ "segfault: crashed with SIGSEGV, nothing published"
go -k "$P" -- --misbehave train --how segv
assert_rc 1
assert_eq "$(runs)" "ingest:ok train:crashed side:ok evaluate:skipped "
assert_eq "$(col train signal)" 11
assert_eq "$(col train message)" "crashed with SIGSEGV"
assert_eq "$(sql "SELECT count(*) FROM artifact_versions WHERE name = 'model'")" 0
assert_contains "$err" "[2/4] Failed [train] model: crashed with SIGSEGV"
# Sent to aerohost before the crash, so recorded with the crashed run.
train=$(sql "SELECT id FROM runs WHERE job_type = 'train'")
assert_eq "$(sql "SELECT key || '=' || value || '@' || step FROM metrics WHERE run_id = $train")" "last_loss=0.5@7"
assert_eq "$(sql "SELECT level || ':' || message FROM run_logs WHERE run_id = $train")" "warn:about to crash"

case_ "abort: crashed with SIGABRT"
go "$P" -- --misbehave side --how abort
assert_rc 1
assert_eq "$(col side status)" crashed
assert_eq "$(col side signal)" 6
assert_eq "$(col side message)" "crashed with SIGABRT"

case_ "exit(3): failed with its code"
go "$P" -- --misbehave evaluate --how exit3
assert_rc 1
assert_eq "$(runs)" "ingest:ok train:ok side:ok evaluate:failed "
assert_eq "$(col evaluate exit_code)" 3
assert_eq "$(col evaluate message)" "action called exit(3)"

case_ "exit(0) mid-run is a failure too"
go "$P" -- --misbehave ingest --how exit0
assert_rc 1
assert_eq "$(col ingest status)" failed
assert_eq "$(col ingest message)" "action called exit(0)"
assert_eq "$(col train message)" "parent [ingest] data failed"

case_ "metrics of a running run: a key it has not logged yet is no error"
fresh_store
"$AEROHOST" run --dev "$P" -- --misbehave train --how hang >/dev/null 2>&1 &
host=$!
train_running() {
  [[ $(sql "SELECT count(*) FROM runs WHERE job_type = 'train' AND
    status = 'running'") == 1 ]]
}
wait_until 200 0.05 train_running || fail "train never started"
run "$AEROMANCY" metrics "$(sql "SELECT id FROM runs WHERE job_type = 'train'")" not_yet
assert_rc 0
assert_eq "$out$err" ""
kill -TERM "$host"
wait "$host"

case_ "hang with --timeout: timed out"
start=$(date +%s%N)
go --timeout 0.5 "$P" -- --misbehave train --how hang
took_ms=$((($(date +%s%N) - start) / 1000000))
assert_rc 1
assert_eq "$(col train status)" timed_out
assert_eq "$(col train message)" "timed out after 0.5 s"
assert_eq "$(col evaluate message)" "parent [train] model timed out"
((took_ms >= 500 && took_ms < 10000)) || fail "took $took_ms ms"

case_ "a timeout further than poll() counts (24.8 days), or of centuries: the run goes on"
for far in 3e6 1e300; do
  go --timeout "$far" "$P"
  assert_rc 0
  assert_eq "$(col train status)" ok
  assert_eq "$(col evaluate status)" ok
done

case_ "a hang that ignores SIGTERM is killed after the grace period"
go --timeout 0.3 "$P" -- --misbehave train --how stubborn
assert_rc 1
assert_eq "$(col train status)" timed_out
assert_eq "$(col train signal)" 9

case_ "bailout: quiet, exit 0, nothing after it"
go "$P" -- --misbehave train --how bail
assert_rc 0
assert_eq "$(runs)" "ingest:ok train:bailed "
assert_contains "$err" "Bailed out: [train] model"
assert_eq "$(sql "SELECT message FROM runs WHERE job_type = 'train'")" \
  "looked at the data, enough" "the reason recorded"
assert_not_contains "$err" "[3/4]"

case_ "-j 2: output lines prefixed and whole"
go -j 2 "$P" -- --talk --sleep 0.2
assert_rc 0
assert_eq "$(sql "SELECT group_concat(status) FROM runs")" "ok,ok,ok,ok"
for job in ingest:data train:model side:notes evaluate:report; do
  tag="[${job%%:*} ${job#*:}]"
  assert_contains "$out" "$tag ${job%%:*}: first line"
  assert_contains "$out" "$tag ${job%%:*}: unterminated"
  assert_contains "$err" "$tag ${job%%:*}: a warning"
done
bad=$(grep -cv '^\[[a-z]* [a-z]*\] ' <<<"$out")
assert_eq "$bad" 0 "unprefixed stdout lines"

case_ "-j 2: a reader of stdout going away does not stop the host"
fresh_store
"$AEROHOST" run --dev -j 2 "$P" -- --talk --sleep 0.2 2>"$AERO_TMP/err" | head -1 >/dev/null
assert_eq "${PIPESTATUS[0]}" 0
assert_eq "$(sql "SELECT group_concat(status) FROM runs")" "ok,ok,ok,ok"

case_ "-j 2 runs independent actions at the same time"
go -j 2 "$P" -- --sleep 0.5
assert_rc 0
# ingest and side overlap: their runs' time spans intersect.
overlap=$(sql "SELECT count(*) FROM runs a, runs b WHERE a.job_type = 'ingest'
  AND b.job_type = 'side' AND a.started_at < b.ended_at
  AND b.started_at < a.ended_at")
assert_eq "$overlap" 1

case_ "--only: unselected actions are not recorded; inputs resolve to latest"
go --only evaluate "$P"
assert_rc 1
assert_one_line "$(grep Failed <<<"$err")"
assert_contains "$err" "[4/4] Failed [evaluate] report: input 'model' does not exist"
assert_contains "$err" "[1/4] Skipped [ingest] data: not selected by --only"
assert_eq "$(runs)" "evaluate:failed "
run "$AEROHOST" run --dev "$P"
assert_rc 0
run "$AEROHOST" run --dev --only evaluate "$P"
assert_rc 0
assert_eq "$(sql "SELECT count(*) FROM runs WHERE job_type = 'train'")" 1
model=$(sql "SELECT version_id FROM artifact_versions WHERE name = 'model'")
last=$(sql "SELECT max(id) FROM runs")
assert_eq "$(sql "SELECT version_id FROM run_inputs WHERE run_id = $last")" "$model"

case_ "--dry-run prints the plan and records nothing"
go --dry-run --only train "$P"
assert_rc 0
assert_contains "$out" "4 actions, 1 to run, 3 skipped"
assert_contains "$out" "[2/4] run  [train] model <- data"
assert_contains "$out" "[1/4] skip [ingest] data: not selected"
assert_eq "$(store_runs)" 0

case_ "--no-isolation runs in-process"
go --no-isolation "$P" -- --misbehave train --how fail
assert_rc 1
assert_eq "$(runs)" "ingest:ok train:failed side:skipped evaluate:skipped "

case_ "OK without declaring a listed output: failed, naming it; no old version handed on"
go "$P"
run "$AEROHOST" run --dev --force "$P" -- --misbehave train --how no_output
assert_rc 1
assert_contains "$err" "Failed [train] model: returned OK without declaring its output 'model'"
assert_eq "$(sql "SELECT job_type || ':' || status FROM runs WHERE id > 4 ORDER BY id" | tr '\n' ' ')" \
  "ingest:ok train:failed side:skipped evaluate:skipped "
assert_contains "$(sql "SELECT message FROM runs WHERE id = 6")" "output 'model'"
assert_eq "$(sql "SELECT count(*) FROM artifact_versions WHERE name = 'model'")" 1
assert_eq "$(sql "SELECT count(*) FROM run_inputs WHERE run_id > 4 AND version_id IN (SELECT v.id FROM versions v JOIN artifacts a ON a.id = v.artifact_id WHERE a.name = 'model')")" 0

case_ "aero_logf with an invalid level: refused with a warning, the run ok, exit 0"
go "$P" -- --misbehave train --how bad_level
assert_rc 0
assert_eq "$(runs)" "ingest:ok train:ok side:ok evaluate:ok "
assert_contains "$err" "[train model] warning: aero_logf: invalid log level 9"
assert_contains "$err" "4 ok, 0 failed"
assert_eq "$(sql "SELECT count(*) FROM run_logs WHERE message LIKE '%level nine%'")" 0

# A process the action left behind, in its group or not, ends with it:
# whether the action returned, called exit() or crashed.
for how in linger linger_exit linger_segv; do
  case_ "$how: what the action started ends with it"
  rm -f "$AERO_TMP/marker.kids"
  go "$P" -- --misbehave train --how "$how" --marker "$AERO_TMP/marker"
  kids=$(cat "$AERO_TMP/marker.kids" 2>/dev/null)
  assert_eq "$(wc -w <<<"$kids")" 2 "two processes were left behind"
  for kid in $kids; do
    if alive "$kid"; then
      fail "process $kid outlived its action"
      kill -KILL "$kid"
    fi
  done
  case $how in
  linger) assert_eq "$(col train status)" ok ;;
  linger_exit) assert_eq "$(col train status)" failed ;;
  linger_segv) assert_eq "$(col train status)" crashed ;;
  esac
done

case_ "what a crashed action left behind ends before the next action"
fresh_store
rm -f "$AERO_TMP/marker.kids"
"$AEROHOST" run --dev -k "$P" -- --misbehave ingest --how linger_segv \
  --marker "$AERO_TMP/marker" --sleep 3 >"$AERO_TMP/out" 2>"$AERO_TMP/err" &
host=$!
# Up to 30 s: ingest sleeps 3 s first, and a loaded machine (sanitizers,
# parallel tests) starts processes slowly.
wait_until 600 0.05 grep -q "Running \[side\]" "$AERO_TMP/err" ||
  fail "side never started: $(cat "$AERO_TMP/err")"
kids=$(cat "$AERO_TMP/marker.kids" 2>/dev/null)
assert_eq "$(wc -w <<<"$kids")" 2 "two processes were left behind"
for kid in $kids; do
  if alive "$kid"; then
    fail "process $kid outlived its crashed action"
    kill -KILL "$kid"
  fi
done
kill -0 "$host" 2>/dev/null || fail "aerohost ended before the check"
wait "$host"

# The harness's own check: UBSan's report from a process whose stderr
# nobody reads (here an action of a host in the background) reaches the
# test (tests/lib.sh, host/ubsan_report.c). Sanitized builds only: the CI's.
case_ "a UBSan report from a background host's action reaches the test"
if [[ $(ldd "$AEROHOST" 2>/dev/null) == *libubsan* ]]; then
  "$AEROHOST" run --dev "$P" -- --misbehave ingest --how ub >/dev/null 2>&1 &
  wait $!
  reports=$(cat "$AERO_TMP"/sanitizer.ubsan.* 2>/dev/null)
  assert_contains "$reports" "exec_pipeline.c:"
  assert_contains "$reports" "runtime error: signed-integer-overflow"
  rm -f "$AERO_TMP"/sanitizer.ubsan.* # made on purpose: not this test's failure
elif [[ ${CI:-} == true ]]; then
  fail "CI runs the tests in the sanitized build; $AEROHOST is not"
fi

# Local store only: it holds the SQLite file's write lock from outside.
if [[ $AERO_TEST_BACKEND == local ]]; then
  case_ "the store failing while recording: exit 2, nothing more starts"
  # Last: the test holds the write lock longer than the store waits.
  fresh_store
  run_store_locked "$AEROHOST" run --dev "$P" -- --misbehave train --how lock_store
  assert_rc 2
  assert_contains "$err" "[2/4] Failed [train] model: recording the run failed: "
  assert_contains "$err" "locked"
  assert_not_contains "$err" "Running [side]"
  assert_eq "$(col ingest status)" ok
fi

done_
