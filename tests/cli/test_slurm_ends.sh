#!/usr/bin/env bash
# How the Slurm executor learns the end of a job its aerohost could not
# report, on a real one-node Slurm cluster (tests/slurm.sh) that purges
# ended jobs after 2 s (MinJobAge) and the team store: a job killed
# outright (SIGKILL) leaves its run running until the submitting host
# records it killed with Slurm's state; a job purged from squeue before the
# host saw it end is settled from Slurm's accounting (sacct, on the
# cluster's slurmdbd and MariaDB) with Slurm's state, reason and exit code,
# or, where accounting cannot say, from its run's record instead of
# waited for. AERO_SLURM_ACCOUNTING=0 (ctest's cli.test_slurm_ends.noacct)
# runs the same cases on a cluster without accounting, as many users'
# clusters are: settled from the runs, and nothing said about sacct.
. "$(dirname "$0")/../lib.sh"
AERO_SLURM_MIN_JOB_AGE=2
AERO_SLURM_ACCOUNTING=${AERO_SLURM_ACCOUNTING:-1}
acct=$AERO_SLURM_ACCOUNTING
. "$(dirname "$0")/../slurm.sh"

DEMO=$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so
EXEC="$AERO_FIXTURES/exec_pipeline.so"
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1
aero_slurm_start
aero_team_start
q() { aero_psql "$1"; }
runs() { q "SELECT string_agg(job_type || ':' || status, ' ' ORDER BY job_type) FROM runs"; }
fresh() {
  aero_team_new_store "$1"
  mkdir -p "$AERO_TMP/$1" && cd "$AERO_TMP/$1" || exit 1
}
# start_host ARGS...: aerohost run ARGS in the background ($host), its
# output in $AERO_TMP/out and err; a watchdog kills it after 150 s (a host
# waiting forever for a job fails the test instead of hanging it).
start_host() {
  "$AEROHOST" run "$@" >"$AERO_TMP/out" 2>"$AERO_TMP/err" &
  host=$!
  (sleep 150 && kill -KILL "$host") >/dev/null 2>&1 &
  watchdog=$!
}
# wait_host: waits for the host; $rc, $err.
wait_host() {
  wait "$host"
  rc=$?
  pkill -P "$watchdog" 2>/dev/null; kill "$watchdog" 2>/dev/null
  err=$(cat "$AERO_TMP/err")
  ((rc != 137)) || fail "the host never ended (killed by the watchdog): $(tail -3 "$AERO_TMP/err")"
}
# wait_running JOB_TYPE: until the store has a run of JOB_TYPE running.
wait_running() {
  aero_slurm_wait_running "$1" || fail "no run of [$1] running"
}
# job_of JOB_TYPE: the newest job of JOB_TYPE.
job_of() {
  squeue -h -t all --sort=-i -o "%i|%j" | grep "|aero \[$1\] " | cut -d'|' -f1 | head -1
}
# wait_purged JOBS: until squeue lists none of the comma-separated JOBS
# (squeue -j fails on a purged job: the whole queue is listed instead).
purged() { ! squeue -h -t all -o %i | grep -qxE "${1//,/|}"; }
wait_purged() {
  wait_until 1500 0.1 purged "$1" || fail "jobs $1 never left the queue"
}
# kill_job JOB: SIGKILL to every process of JOB, its aerohost included, as
# the kernel's OOM killer under cgroups or a node failure would: nothing in
# the job can record its run. (scancel --signal=KILL is no such kill: the
# job's aerohost, in a process group of its own, outlives it.)
kill_job() {
  local pids
  pids=$(scontrol listpids "$1" | awk '$2 == '"$1"' {print $1}')
  [[ -n $pids ]] || fail "no processes for job $1"
  kill -KILL $pids
}
# start_hanging_train: start_host on exec_pipeline with [train] hanging in
# its job (-k: [side] goes on).
start_hanging_train() {
  start_host "$EXEC" --dev --executor slurm -k -- --misbehave train --how hang
}
# kill_train_unseen: once [train] runs, the host stopped (SIGSTOP) while
# [train]'s job ($train_job) is killed outright and purged from the queue,
# so that the host, continued by the caller, learns of neither.
kill_train_unseen() {
  wait_running train
  train_job=$(job_of train)
  kill -STOP "$host"
  kill_job "$train_job"
  wait_purged "$train_job"
}

case_ job_killed_outright_recorded_killed
fresh slurm_sigkill
start_hanging_train
wait_running train
train_job=$(job_of train)
[[ -n $train_job ]] || fail "no job for [train]"
kill_job "$train_job"
wait_host
assert_rc 1
assert_contains "$err" "Failed [train] model: Slurm job $train_job ended FAILED"
assert_contains "$err" "its aerohost was killed by SIGKILL (run "
assert_contains "$err" "Skipped [evaluate] report: parent [train] model was killed"
assert_eq "$(q "SELECT status FROM runs WHERE job_type = 'train'")" killed
assert_contains "$(q "SELECT message FROM runs WHERE job_type = 'train'")" \
  "Slurm job $train_job ended FAILED"
assert_eq "$(runs)" "evaluate:skipped ingest:ok side:ok train:killed"

case_ purged_jobs_settled_from_their_runs
fresh slurm_purged
before=$(squeue -h -t all --sort=-i -o %i | head -1)
start_host "$DEMO" --dev --executor slurm
# Once its three jobs are submitted, the host sleeps while they run, end
# and are purged.
three_submitted() {
  jobs=$(squeue -h -t all -o %i | awk '$1 > '"${before:-0}" | paste -sd,)
  [[ $(tr , '\n' <<<"$jobs" | wc -l) == 3 ]]
}
wait_until 600 0.02 three_submitted
kill -STOP "$host"
assert_eq "$(tr , '\n' <<<"$jobs" | wc -l)" 3 "three jobs submitted"
aero_slurm_wait_idle || fail "jobs still running"
wait_purged "$jobs"
kill -CONT "$host"
wait_host
assert_rc 0
assert_contains "$err" "[3/3] OK [evaluate] report"
assert_contains "$err" "3 ok, 0 failed, 0 skipped in"
assert_eq "$(runs)" "evaluate:ok ingest:ok train:ok"
assert_not_contains "$err" "sacct"

case_ purged_killed_job_recorded_killed
fresh slurm_purged_kill
start_hanging_train
kill_train_unseen
kill -CONT "$host"
wait_host
assert_rc 1
if ((acct)); then
  # sacct: the job FAILED, its batch script killed by signal 9 (its
  # Reason, what it last waited for, is no cause and is left out).
  why="Slurm job $train_job ended FAILED: its aerohost was killed by SIGKILL"
else
  why="Slurm job $train_job left the queue while its run was still running"
fi
assert_contains "$err" "Failed [train] model: $why (run "
assert_eq "$(q "SELECT status || ':' || message FROM runs WHERE job_type = 'train'")" \
  "killed:$why"
assert_contains "$("$AEROMANCY" runs --job-type train --json 2>&1)" "$why"
assert_contains "$err" "2 ok, 1 failed, 1 skipped in"
assert_eq "$(runs)" "evaluate:skipped ingest:ok side:ok train:killed"
assert_not_contains "$err" "sacct"

# A job cancelled before its aerohost began (it waited on a partition
# that was down) leaves no run: only Slurm can say how it ended.
case_ purged_job_that_never_ran
fresh slurm_purged_never_ran
before=$(squeue -h -t all --sort=-i -o %i | head -1)
scontrol update PartitionName=debug State=DOWN
start_host "$DEMO" --dev --executor slurm
wait_until 600 0.02 three_submitted
kill -STOP "$host"
assert_eq "$(tr , '\n' <<<"$jobs" | wc -l)" 3 "three jobs submitted"
ingest_job=${jobs%%,*}
scancel "$ingest_job"
wait_purged "$jobs"
scontrol update PartitionName=debug State=UP
kill -CONT "$host"
wait_host
assert_rc 1
if ((acct)); then
  # What it waited for, when Slurm's accounting kept it: whether the
  # scheduler marked it PartitionDown before the scancel is a matter of
  # timing (it was, under load); nothing else.
  failed=$(grep -F "[1/3] Failed [ingest] dataset: " <<<"$err")
  cancelled="[1/3] Failed [ingest] dataset: Slurm job $ingest_job ended CANCELLED"
  [[ $failed == "$cancelled" || $failed == "$cancelled (while pending: PartitionDown)" ]] ||
    fail "expected '$cancelled', bare or (while pending: PartitionDown): $err"
  assert_contains "$err" "Skipped [train] model: parent [ingest] dataset was killed"
else
  assert_contains "$err" "[1/3] Failed [ingest] dataset: Slurm job $ingest_job failed (output in "
  assert_contains "$err" "Skipped [train] model: parent [ingest] dataset failed"
fi
assert_contains "$err" "0 ok, 1 failed, 2 skipped in"
assert_eq "$(runs)" "evaluate:skipped train:skipped"
assert_not_contains "$err" "sacct"

# Slurm reuses job ids (a controller that lost its state starts again at
# FirstJobId), and sacct answers with the newest record it has for an id:
# while ours is not in the database yet, an older job's. Here the only
# record of the purged job is made an older job's that completed, submitted
# 30 s before ours (within the 300 s this host allows for clocks apart:
# the submit time squeue showed tells them apart): it is no answer, and
# the job is settled from its run, never a success the store does not hold.
if ((acct)); then
  case_ reused_id_older_record_ignored
  fresh slurm_reused_id
  start_hanging_train
  kill_train_unseen
  ended_in_db() { [[ $(sacct -n -X -j "$train_job" -o State | tr -d ' ') == FAILED ]]; }
  wait_until 600 0.1 ended_in_db || fail "job $train_job's end never reached the database"
  cluster=$(sed -n 's/^ClusterName=//p' "$SLURM_CONF")
  mariadb --socket="$AERO_SLURM_DIR/db/mariadbd.sock" -u root slurm_acct_db -e "
    UPDATE ${cluster}_job_table SET state = 3, exit_code = 0,
      time_submit = time_submit - 30, time_eligible = time_eligible - 30,
      time_start = time_start - 30, time_end = time_end - 30
    WHERE id_job = $train_job" || fail "cannot rewrite job $train_job's record"
  assert_eq "$(sacct -n -X -j "$train_job" -o State | tr -d ' ')" COMPLETED
  kill -CONT "$host"
  wait_host
  assert_rc 1
  why="Slurm job $train_job left the queue while its run was still running"
  assert_contains "$err" "Failed [train] model: $why (run "
  assert_eq "$(runs)" "evaluate:skipped ingest:ok side:ok train:killed"
  assert_not_contains "$err" "sacct"
fi

# sacct failing (here: slurmdbd's port wrong in the configuration the host
# reads, squeue and scontrol unaffected) is said in one line, and the
# jobs are settled from their runs: never a success the store does not
# hold.
if ((acct)); then
  case_ sacct_failing_said_in_one_line
  fresh slurm_dbd_unreachable
  sed "s/^AccountingStoragePort=.*/AccountingStoragePort=1/" "$SLURM_CONF" >"$AERO_TMP/broken.conf"
  SLURM_CONF=$AERO_TMP/broken.conf start_hanging_train
  kill_train_unseen
  kill -CONT "$host"
  wait_host
  assert_rc 1
  # One sacct, one line: for both jobs when they leave the queue in the
  # same poll (evaluate's, cancelled for its parent), for train's alone
  # when evaluate's is already settled by then (a CI run saw that).
  assert_eq "$(grep -c sacct <<<"$err")" 1 "one line about sacct: $err"
  assert_contains "$err" "warning: sacct -j "
  grep -qE "Connection refused: how (these jobs ended is read from their runs' records|this job ended is read from its run's record) instead" <<<"$err" ||
    fail "sacct's failure not said as expected: $err"
  assert_contains "$err" "Failed [train] model: Slurm job $train_job left the queue while its run was still running (run "
  assert_eq "$(runs)" "evaluate:skipped ingest:ok side:ok train:killed"
fi

done_
