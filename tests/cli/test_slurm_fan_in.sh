#!/usr/bin/env bash
# A fan-in on a real Slurm cluster (tests/slurm.sh) with the team store:
# the last action's job is submitted with --dependency=afterok on every
# parent's job, however many there are. A dependency left out (the list
# was cut to a fixed buffer of 4,096 bytes, ~800 parents here) would let
# the job start before that parent ended and read what it had not made
# yet. The partition is down while they are submitted: nothing runs, and
# Slurm shows each job's dependency as it was asked. Job ids of 7 digits,
# as a cluster that has run a while hands out: 1,000 of them are 8,000
# bytes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slurm.sh"

STEPS="$AERO_FIXTURES/bench_steps.so"
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1
AERO_SLURM_FIRST_JOB_ID=1000000
aero_slurm_start
aero_team_start
aero_team_new_store fan_in

case_ every_parent_job_in_the_dependency
scontrol update PartitionName=debug State=DOWN
run "$AEROHOST" run "$STEPS" --dev --executor slurm --detach -- -n 1001 --shape fan-in
assert_rc 0
assert_contains "$err" "1001 actions submitted to Slurm"
parents=$(head -n 1000 <<<"$out" | cut -f1 | sort -n)
last=$(tail -n 1 <<<"$out" | cut -f1)
assert_eq "$(tail -n 1 <<<"$out" | cut -f2)" "[step] step-1000"
asked=$(scontrol show job -o "$last" | grep -oP ' Dependency=\K\S+')
# "afterok:12(unfulfilled),afterok:13(unfulfilled),...": the job ids.
waits_for=$(grep -oP 'afterok:\K[0-9]+' <<<"$asked" | sort -n)
assert_eq "$(wc -l <<<"$waits_for")" 1000 "the fan-in's job waits for 1,000 jobs"
assert_eq "$waits_for" "$parents" "exactly the parents' jobs"
scancel $(cut -f1 <<<"$out")
scontrol update PartitionName=debug State=UP
aero_slurm_wait_idle || fail "jobs still queued after scancel"

done_
