#!/usr/bin/env bash
# bench_slurm: scheduling overhead per action of `aerohost run --executor
# slurm` on the one-node cluster tests/slurm.sh starts (with the team
# store's PostgreSQL and s3rver), against bare `sbatch --wrap true` jobs
# with the same dependencies, in one run: a chain of N actions (each job
# depends on the one before, afterok) and N independent ones. Per action:
# the whole run's median / N. Also reported: a job's own aerohost time and
# Slurm's gap between jobs (slurmctld's log), where the time goes.
. "$(dirname "$0")/lib.sh"

N=${BENCH_SLURM_N:-8}
steps="$AERO_FIXTURES/bench_steps.so"
[[ -f $steps && -f $AEROMANCY_PLUGIN_PATH/tracker-postgres.so ]] ||
  die "no $steps or tracker-postgres.so: build them"
cd "$bench_dir" || die "cannot enter $bench_dir"

bench_test_servers
. "$AERO_SOURCE_DIR/tests/slurm.sh"
note "starting Slurm, PostgreSQL and s3rver"
aero_slurm_start
aero_team_start

# The bare reference: N `sbatch --wrap true` jobs, chained with afterok or
# independent, submitted at once; returns when all ended.
cat >"$bench_dir/bare.sh" <<'BARE'
n=$1 shape=$2 prev= ids=
for ((i = 0; i < n; i++)); do
  dep=()
  [[ $shape == chain && -n $prev ]] && dep=(--dependency="afterok:$prev")
  prev=$(sbatch --parsable -o /dev/null "${dep[@]}" --wrap true) || exit 1
  ids+=${ids:+,}$prev
done
while squeue -h -j "$ids" -t PENDING,RUNNING,CONFIGURING,COMPLETING -o %i | grep -q .; do
  sleep 0.05
done
BARE

run_slurm="$AEROHOST run $steps --dev --force --executor slurm"
"$AEROHOST" run "$steps" --dev --executor slurm -- -n 2 >"$bench_dir/warm.log" 2>&1 ||
  die "a first run failed: $(tail -2 "$bench_dir/warm.log" | tr '\n' ' ')"
note "timing $N-action chains and $N independent actions"
# --force: every run submits every action (nothing reused).
hf "$bench_dir/slurm.json" -N --warmup 1 --runs 3 \
  -n "aerohost chain" "$run_slurm --force -- -n $N --shape chain" \
  -n "sbatch chain" "bash $bench_dir/bare.sh $N chain" \
  -n "aerohost wide" "$run_slurm --force -- -n $N --shape wide" \
  -n "sbatch wide" "bash $bench_dir/bare.sh $N wide"
a_chain=$(median "$bench_dir/slurm.json" 0)
b_chain=$(median "$bench_dir/slurm.json" 1)
a_wide=$(median "$bench_dir/slurm.json" 2)
b_wide=$(median "$bench_dir/slurm.json" 3)

# Where the time goes: each job's own aerohost (its summary's "in X s":
# plugin load to the run recorded) against the whole job as slurmctld saw
# it, and the gap between a job's end and its dependent's start, which the
# bare chain pays too.
job_own=$(grep -ho ' in [0-9.]* s;' "$bench_dir"/aeromancy-slurm/*.out 2>/dev/null |
  tr -dc '0-9.\n' | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] * 1000 }')
gap=$(grep -E 'sched: Allocate|_job_complete: JobId=[0-9]+ done' "$AERO_SLURM_DIR/slurmctld.log" |
  python3 -c '
import re, sys, statistics
done = None; gaps = []
for line in sys.stdin:
    m = re.match(r"\[(\S+)\]", line)
    t = float(m.group(1)[-6:]) if m else None
    if t is None: continue
    if "Allocate" in line and done is not None:
        gaps.append((t - done) % 60); done = None
    elif "done" in line:
        done = t
print("%.0f" % (statistics.median(gaps) * 1000) if gaps else "?")')

echo "## Actions as Slurm jobs (bench_slurm)"
echo
echo "One-node Slurm 22.05 cluster on loopback (tests/slurm.sh), team store"
echo "(PostgreSQL + s3rver) on the same machine. Per action: the median whole run"
echo "(3 runs) / $N. \`sbatch\`: bare \`sbatch --wrap true\` jobs with the same"
echo "dependencies, all submitted at once."
echo
echo "| graph | aerohost --executor slurm, per action (ms) | bare sbatch, per action (ms) | ratio |"
echo "|---|---:|---:|---:|"
echo "| chain of $N | $(ms "$(calc "$a_chain / $N")") | $(ms "$(calc "$b_chain / $N")") | $(ratio "$a_chain" "$b_chain") |"
echo "| $N independent | $(ms "$(calc "$a_wide / $N")") | $(ms "$(calc "$b_wide / $N")") | $(ratio "$a_wide" "$b_wide") |"
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores. Where the time"
echo "goes: a job's own aerohost (plugin load to run recorded), median ${job_own:-?} ms; Slurm's"
echo "gap from a job's end to the next job's start (any job), median ${gap} ms, which the bare jobs"
echo "pay as well. The whole graph is submitted at once (afterok), as the bare jobs are."
echo
target "scheduling overhead per action at most 1.5x bare sbatch jobs (chain: $(ratio "$a_chain" "$b_chain")x)" \
  "$(lt "$(calc "$a_chain / $b_chain")" 1.5)"
target "scheduling overhead per action at most 1.5x bare sbatch jobs ($N independent: $(ratio "$a_wide" "$b_wide")x)" \
  "$(lt "$(calc "$a_wide / $b_wide")" 1.5)"
echo
