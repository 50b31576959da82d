#!/usr/bin/env bash
# aerohost run --executor slurm on a real one-node Slurm cluster
# (tests/slurm.sh) with the team store (real PostgreSQL and s3rver): each
# action one sbatch job whose own aerohost records the run; the records
# equal a local run's; a failing job and its skipped dependents; Ctrl-C
# cancels the jobs; independent actions run as independent jobs.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slurm.sh"

DEMO=$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so
EXEC="$AERO_FIXTURES/exec_pipeline.so"
STEPS="$AERO_FIXTURES/bench_steps.so"
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1
aero_slurm_start
aero_team_start
q() { aero_psql "$1"; }
versions() {
  q "SELECT string_agg(name || ':v' || version || ':' || digest, ' ' ORDER BY name)
     FROM artifact_versions"
}
# The runs by job type (ids follow the order jobs began their runs).
runs() { q "SELECT string_agg(job_type || ':' || status, ' ' ORDER BY job_type) FROM runs"; }
# latest_job JOB_TYPE FORMAT: squeue's FORMAT of the latest job of that
# job type.
latest_job() {
  squeue -h -t all --sort=-i -o "%j|$2" | grep "^aero \[$1\] " | head -1 | cut -d'|' -f2
}
# depends_on CHILD PARENT: job CHILD was held until job PARENT ended
# (afterok). Slurm shows the dependency only while it is pending: once the
# parent ends (a loaded machine may get there before the check), the child
# counts when it became eligible no earlier than the parent ended.
depends_on() {
  local child parent eligible ended
  child=$(scontrol show job -o "$1") || return 1
  [[ $child == *"Dependency=afterok:$2"* ]] && return 0
  parent=$(scontrol show job -o "$2") || return 1
  eligible=$(grep -oP ' EligibleTime=\K\S+' <<<"$child")
  ended=$(grep -oP ' EndTime=\K\S+' <<<"$parent")
  [[ $child == *" Dependency=(null)"* && $eligible != Unknown &&
    $ended != Unknown && ! $eligible < $ended ]]
}
# fresh NAME: a new empty store NAME and a new working folder (the jobs'
# outputs go to ./aeromancy-slurm).
fresh() {
  aero_team_new_store "$1"
  mkdir -p "$AERO_TMP/$1" && cd "$AERO_TMP/$1" || exit 1
}

case_ aerodemo_as_jobs_equals_local
fresh local_demo
run "$AEROHOST" run "$DEMO" --dev
assert_rc 0
local_versions=$(versions)
fresh slurm_demo
run "$AEROHOST" run "$DEMO" --dev --executor slurm
assert_rc 0
assert_contains "$err" "[1/3] Running [ingest] dataset"
assert_contains "$err" "[3/3] OK [evaluate] report"
assert_contains "$err" "3 ok, 0 failed, 0 skipped in"
assert_contains "$err" "runs 1-3 in postgresql://"
assert_eq "$(runs)" "evaluate:ok ingest:ok train:ok"
assert_eq "$(versions)" "$local_versions" "same versions and digests as a local run"
[[ -n $local_versions ]] || fail "no versions recorded"
assert_eq "$(ls aeromancy-slurm/*.out | wc -l)" 3 "one job (and output) per action"
# The job's position reaches it without --export=ALL,VAR, which makes
# slurmd build a login environment first (`su - root`, seconds a job).
assert_not_contains "$(cat "$AERO_SLURM_DIR/slurmd.log")" "_get_user_env"

case_ diabetes_as_jobs_equals_local
DATA=$AERO_BUILD_DIR/example-data/diabetes
DIABETES=$AERO_BUILD_DIR/examples/diabetes/diabetes.so
[[ -f $DATA/diabetes_data_raw.csv.gz ]] ||
  "$AERO_SOURCE_DIR/examples/diabetes/fetch-data.sh" "$DATA" >/dev/null 2>&1 ||
  fail "no diabetes data in $DATA"
fresh local_diabetes
run "$AEROHOST" run "$DIABETES" --dev -- --data-dir "$DATA"
assert_rc 0
local_versions=$(versions)
local_r2=$(q "SELECT value FROM metrics m JOIN runs r ON r.id = m.run_id
              WHERE r.job_type = 'evaluate' AND key = 'test_r2'")
fresh slurm_diabetes
run "$AEROHOST" run "$DIABETES" --dev --executor slurm -- --data-dir "$DATA"
assert_rc 0
assert_contains "$err" "3 ok, 0 failed, 0 skipped in"
assert_eq "$(runs)" "evaluate:ok fit:ok ingest:ok"
assert_eq "$(versions)" "$local_versions" "same versions and digests as a local run"
assert_eq "$(q "SELECT value FROM metrics m JOIN runs r ON r.id = m.run_id
                WHERE r.job_type = 'evaluate' AND key = 'test_r2'")" "$local_r2"
assert_eq "$(q "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id
                WHERE r.job_type = 'fit' AND key = 'train_mse'")" 500

case_ reuse_decided_before_submitting
# The diabetes runs above stand for a second run: nothing is submitted.
jobs_before=$(squeue -h -t all -o %i | wc -l)
run "$AEROHOST" run "$DIABETES" --dev --executor slurm -- --data-dir "$DATA"
assert_rc 0
assert_contains "$err" "0 ok, 3 reused, 0 failed, 0 skipped in"
assert_eq "$(squeue -h -t all -o %i | wc -l)" "$jobs_before" "no job submitted"
run "$AEROHOST" run "$DIABETES" --dev --executor slurm --detach -- --data-dir "$DATA"
assert_rc 0
assert_eq "$out" "" "no job id printed"
assert_contains "$err" "[3/3] Reused [evaluate] diabetes-report (run "
assert_contains "$err" "0 actions submitted to Slurm, 3 reused"
assert_eq "$(squeue -h -t all -o %i | wc -l)" "$jobs_before" "no job submitted"
# Forcing fit: ingest is reused, fit submitted, and evaluate submitted too
# (chained afterok on fit's job): fit's new outputs do not exist yet, so
# no past run can be known to stand for it.
run "$AEROHOST" run "$DIABETES" --dev --executor slurm --detach --force-only fit -- --data-dir "$DATA"
assert_rc 0
assert_contains "$err" "[1/3] Reused [ingest] diabetes-data"
assert_eq "$(cut -f2 <<<"$out" | tr '\n' ' ')" "[fit] diabetes-model [evaluate] diabetes-report "
assert_contains "$err" "2 actions submitted to Slurm, 1 reused"
child=$(sed -n 2p <<<"$out" | cut -f1) parent=$(sed -n 1p <<<"$out" | cut -f1)
depends_on "$child" "$parent" ||
  fail "job $child does not depend on $parent: $(scontrol show job -o "$child")"
aero_slurm_wait_idle || fail "jobs still queued"
# Runs 1-3 ran, 4-6 and 7-9 were reused; then:
assert_eq "$(q "SELECT string_agg(job_type || ':' || status, ' ' ORDER BY id) FROM runs WHERE id > 9")" \
  "ingest:reused fit:ok evaluate:ok"

case_ reused_parent_versions_reach_the_job
# train reused from run 2 holds model v0; v1, made with --epochs 41, is the
# latest. evaluate's job must read v0 (AEROMANCY_SLURM_INPUTS), not the
# latest.
fresh back_and_forth
run "$AEROHOST" run "$DEMO" --dev
assert_rc 0
run "$AEROHOST" run "$DEMO" --dev -- --epochs 41
assert_rc 0
run "$AEROHOST" run "$DEMO" --dev --executor slurm --force-only evaluate
assert_rc 0
assert_contains "$err" "[2/3] Reused [train] model (run 2, "
assert_contains "$err" "1 ok, 2 reused, 0 failed"
assert_eq "$(q "SELECT v.version FROM run_inputs i JOIN versions v ON v.id =
  i.version_id JOIN artifacts a ON a.id = v.artifact_id WHERE a.name = 'model'
  AND i.run_id = (SELECT max(id) FROM runs WHERE job_type = 'evaluate')")" 0 \
  "the job's evaluate read the reused train's model"

case_ children_submitted_at_once_with_afterok
fresh slurm_chain
run "$AEROHOST" run "$EXEC" --dev --executor slurm -- --sleep 2
assert_rc 0
# [train] was submitted while [ingest] still ran: Slurm, not this host,
# held it back until ingest's job ended well.
ingest_end=$(date -d "$(latest_job ingest %e)" +%s)
train_submit=$(date -d "$(latest_job train %V)" +%s)
((train_submit < ingest_end)) ||
  fail "train submitted at $train_submit, after ingest ended at $ingest_end"

case_ failed_job_skips_dependents
fresh slurm_fail
run "$AEROHOST" run "$EXEC" --dev --executor slurm -k -- --misbehave train --how fail
assert_rc 1
assert_contains "$err" "Failed [train] model: training diverged: loss is NaN (run $(q "SELECT id FROM runs WHERE job_type = 'train'")"
assert_contains "$err" "Skipped [evaluate] report: parent [train] model failed"
assert_contains "$err" "OK [side] notes"
assert_contains "$err" "2 ok, 1 failed, 1 skipped in"
assert_eq "$(runs)" "evaluate:skipped ingest:ok side:ok train:failed"
assert_eq "$(ls aeromancy-slurm/*.out | wc -l)" 3 "evaluate was never submitted"

case_ failure_without_k_stops
fresh slurm_stop
run "$AEROHOST" run "$EXEC" --dev --executor slurm -- --misbehave ingest --how fail
assert_rc 1
# [side] is independent and was submitted with [ingest], as with -j 2.
# Once [ingest] failed nothing new starts: [side] finishes if its job had
# started, and is cancelled and skipped if it was still pending (a loaded
# machine, or Slurm's next scheduling pass).
case $(latest_job side %T) in
  COMPLETED) side=ok ;;
  CANCELLED) side=skipped ;;
  *) fail "[side]'s job neither completed nor was cancelled: $(latest_job side %T)" ;;
esac
assert_eq "$(runs)" "evaluate:skipped ingest:failed side:$side train:skipped"

case_ timeout_in_the_job
fresh slurm_timeout
run "$AEROHOST" run "$EXEC" --dev --executor slurm --timeout 1 -- --misbehave train --how hang
assert_rc 1
assert_contains "$err" "Failed [train] model: timed out after 1 s (run "
assert_contains "$err" "Skipped [evaluate] report: parent [train] model timed out"
assert_eq "$(q "SELECT status || ':' || message FROM runs WHERE job_type = 'train'")" \
  "timed_out:timed out after 1 s"
# Slurm's own limit, a minute more, stops a job whose aerohost hangs;
# an action's own time limit (train's 7 minutes) stands instead.
assert_eq "$(latest_job ingest '%j %l')" \
  "aero [ingest] data 2:00"
assert_eq "$(latest_job train '%j %l')" \
  "aero [train] model 7:00"

case_ slurm_time_limit_from_ini
fresh slurm_limit
# Slurm ends the job (its limit is whole minutes, checked every 30 s or
# so); the job's aerohost records Slurm's reason.
printf '[slurm]\ntrain.time = 1\n' >aeromancy.ini
run "$AEROHOST" run "$EXEC" --dev --executor slurm -- --misbehave train --how hang
assert_rc 1
train_job=$(latest_job train %i)
assert_eq "$(squeue -h -t all -j "$train_job" -o '%T %l')" "TIMEOUT 1:00"
assert_contains "$err" "Failed [train] model: Slurm job $train_job reached its time limit (TimeLimit) (run "
assert_contains "$err" "Skipped [evaluate] report: parent [train] model timed out"
assert_eq "$(q "SELECT status || ':' || message FROM runs WHERE job_type = 'train'")" \
  "timed_out:Slurm job $train_job reached its time limit (TimeLimit)"

case_ scancel_from_outside
fresh slurm_scancel
"$AEROHOST" run "$EXEC" --dev --executor slurm -k -- --misbehave train --how hang \
  >"$AERO_TMP/out" 2>"$AERO_TMP/err" &
host=$!
aero_slurm_wait_running train || fail "train never ran: $(cat "$AERO_TMP/err")"
train_job=$(latest_job train %i)
[[ -n $train_job ]] || fail "no job for [train]"
scancel "$train_job"
wait "$host"
rc=$?
err=$(cat "$AERO_TMP/err")
assert_rc 1
assert_contains "$err" "Failed [train] model: Slurm job $train_job was cancelled (run "
assert_contains "$err" "Skipped [evaluate] report: parent [train] model was killed"
assert_eq "$(q "SELECT status || ':' || message FROM runs WHERE job_type = 'train'")" \
  "killed:Slurm job $train_job was cancelled"
assert_eq "$(runs)" "evaluate:skipped ingest:ok side:ok train:killed"

case_ wide_independent_jobs
fresh slurm_wide
run "$AEROHOST" run "$STEPS" --dev --executor slurm -- -n 200 --shape wide
assert_rc 0
assert_contains "$err" "200 ok, 0 failed, 0 skipped in"
assert_eq "$(q "SELECT count(*) FROM runs WHERE status = 'ok'")" 200
assert_eq "$(q "SELECT count(*) FROM artifact_versions")" 200
assert_eq "$(ls aeromancy-slurm/*.out | wc -l)" 200 "one job per action"

case_ ctrl_c_cancels_jobs
fresh slurm_int
"$AEROHOST" run "$EXEC" --dev --executor slurm -- --sleep 60 >"$AERO_TMP/out" 2>"$AERO_TMP/err" &
host=$!
two_running() { [[ $(q "SELECT count(*) FROM runs WHERE status = 'running'" 2>/dev/null) == 2 ]]; }
wait_until 300 0.1 two_running || fail "two runs never ran at once: $(cat "$AERO_TMP/err")"
kill -INT "$host"
wait "$host"
rc=$?
err=$(cat "$AERO_TMP/err")
assert_rc 130
assert_contains "$err" "interrupted by SIGINT"
assert_contains "$err" "Failed [ingest] data: interrupted by SIGINT (Slurm job"
aero_slurm_wait_idle || fail "jobs still queued after Ctrl-C"
assert_eq "$(runs)" "ingest:killed side:killed"

case_ detach_then_runs
fresh slurm_detach
run "$AEROHOST" run "$DEMO" --dev --executor slurm --detach
assert_rc 0
assert_eq "$(cut -f2 <<<"$out" | tr '\n' ' ')" "[ingest] dataset [train] model [evaluate] report "
assert_contains "$err" "3 actions submitted to Slurm"
jobs=$(cut -f1 <<<"$out" | paste -sd,)
# The children depend on their parents' jobs.
train_job=$(sed -n 2p <<<"$out" | cut -f1) ingest_job=$(sed -n 1p <<<"$out" | cut -f1)
depends_on "$train_job" "$ingest_job" ||
  fail "job $train_job does not depend on $ingest_job: $(scontrol show job -o "$train_job")"
seen=
for _ in $(seq 600); do
  now=$("$AEROMANCY" runs --dev 2>/dev/null | grep -c $'\tok (dev)\t')
  [[ $now != "${seen##* }" ]] && seen+=" $now"
  [[ $now == 3 ]] && break
  sleep 0.1
done
assert_eq "${seen##* }" 3 "aeromancy runs shows the three runs ok"
[[ $(wc -w <<<"$seen") -ge 2 ]] || fail "aeromancy runs never showed a run in progress ($seen)"
assert_eq "$(runs)" "evaluate:ok ingest:ok train:ok"
assert_eq "$(squeue -h -t all -j "$jobs" -o %T | sort -u)" COMPLETED

case_ resources_from_action_ini_and_flags
fresh slurm_res
# [train] declares 2 CPUs, 96 MiB, 7 minutes and a GPU; [slurm] KEY overrides
# that, [slurm] JOB_TYPE.KEY overrides KEY, and the flags everything.
printf '[slurm]\ntime = 3\nevaluate.time = 1:00:00\nevaluate.mem = 1G\n' >aeromancy.ini
run "$AEROHOST" run "$EXEC" --dev --executor slurm --detach --slurm-mem 80
assert_rc 0
job_of() { grep -P "\t\\[$1\\]" <<<"$out" | cut -f1; }
show() { scontrol show job -o "$(job_of "$1")" | grep -o " $2=[^ ]*"; }
assert_eq "$(show train NumCPUs)" " NumCPUs=2" "the action's own CPUs"
assert_eq "$(show train TimeLimit)" " TimeLimit=00:03:00" "[slurm] time over the action's"
assert_eq "$(show ingest TimeLimit)" " TimeLimit=00:03:00" "[slurm] time"
assert_eq "$(show evaluate TimeLimit)" " TimeLimit=01:00:00" "[slurm] evaluate.time"
assert_eq "$(show train MinMemoryNode)" " MinMemoryNode=80M" "--slurm-mem over the action's"
assert_eq "$(show evaluate MinMemoryNode)" " MinMemoryNode=80M" "--slurm-mem over [slurm]"
assert_eq "$(show side NumCPUs)" " NumCPUs=1" "nothing asked: the default"
assert_eq "$(show train TresPerJob)" " TresPerJob=gres:gpu:1" "the action's own GPU"
assert_eq "$(show side TresPerJob)" "" "no GPU asked: none"
aero_slurm_wait_idle || fail "jobs still queued"
assert_eq "$(runs)" "evaluate:ok ingest:ok side:ok train:ok"
# The cluster's GPUs are two device files (tests/slurm.sh): the job got one.
assert_contains "$(cat "aeromancy-slurm/$(job_of train).out")" "train: GPUs 0"
run "$AEROHOST" run "$EXEC" --dev --executor slurm --force --slurm-partition nowhere
assert_rc 2
assert_contains "$err" "Failed [ingest] data: not submitted to Slurm (asked for --time=3 --partition=nowhere): sbatch: error: invalid partition specified: nowhere"
# More GPUs than the cluster has: refused at once, the action named.
printf '[slurm]\ntrain.gpus = 2\n' >aeromancy.ini
run "$AEROHOST" run "$EXEC" --dev --executor slurm --force --only train --detach
assert_rc 0
[[ $(show train TresPerJob) == " TresPerJob=gres:gpu:2" ]] ||
  fail "[slurm] train.gpus over the action's: $(show train TresPerJob)"
aero_slurm_wait_idle || fail "jobs still queued"
run "$AEROHOST" run "$EXEC" --dev --executor slurm --force --slurm-gpus 3
assert_rc 2
assert_contains "$err" "Failed [ingest] data: not submitted to Slurm (asked for --gpus=3): sbatch: error: Batch job submission failed: Requested node configuration is not available"
assert_one_line "$(grep 'Failed \[ingest\]' <<<"$err")"
printf '[slurm]\ntrain.time = soon\n' >aeromancy.ini
run "$AEROHOST" run "$EXEC" --dev --executor slurm
assert_rc 3
assert_contains "$err" "aeromancy.ini:2: [slurm] train.time: 'soon' is not a time limit"
rm aeromancy.ini
# Past 24,855 days Slurm keeps garbage (71,582,789 minutes became one
# minute): a longer limit, from --timeout or [slurm] time, asks for that.
run "$AEROHOST" run "$EXEC" --dev --executor slurm --force --only ingest --detach \
  --timeout 1e300
assert_rc 0
assert_eq "$(show ingest TimeLimit)" " TimeLimit=24855-00:00:00" "--timeout 1e300"
aero_slurm_wait_idle || fail "jobs still queued"
printf '[slurm]\ntime = 49000d\n' >aeromancy.ini
run "$AEROHOST" run "$EXEC" --dev --executor slurm --force --only ingest --detach
assert_rc 0
assert_eq "$(show ingest TimeLimit)" " TimeLimit=24855-00:00:00" "[slurm] time = 49000d"
aero_slurm_wait_idle || fail "jobs still queued"
rm aeromancy.ini
run "$AEROHOST" run "$EXEC" --dev --executor slurm --slurm-cpus none
assert_rc 3
assert_contains "$err" "--slurm-cpus: 'none' is not a number of CPUs (1 or more)"

case_ detach_needs_slurm
run "$AEROHOST" run "$DEMO" --dev --detach
assert_rc 3
assert_contains "$err" "--detach needs --executor slurm"

case_ bad_executor
run "$AEROHOST" run "$DEMO" --dev --executor pbs
assert_rc 3
assert_contains "$err" "--executor: 'pbs' is not one of: local, slurm"

case_ job_command_keeps_empty_words
# The runner's command for the jobs ($AEROMANCY_SLURM_JOB_COMMAND, one word
# a line) may hold an empty word (`--run-arg --entrypoint --run-arg ""`):
# it reaches the job as an empty argument, not dropped.
fresh job_command
printf '%s\n' /bin/sh -c \
  '[ $# -ge 3 ] && [ -z "$1" ] && shift && exec "$@"; echo "job command: empty word lost" >&2; exit 9' \
  job-command "" "$AEROHOST" run "$DEMO" >command.txt
AEROMANCY_SLURM_JOB_COMMAND=$PWD/command.txt \
  run "$AEROHOST" run "$DEMO" --dev --executor slurm
assert_rc 0
assert_contains "$err" "3 ok, 0 failed, 0 skipped in"
assert_not_contains "$(cat aeromancy-slurm/*.out)" "empty word lost"

done_
