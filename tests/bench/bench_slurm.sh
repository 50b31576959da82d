#!/usr/bin/env bash
# bench_slurm: scheduling overhead per action of `aerohost run --executor
# slurm` on the one-node cluster tests/slurm.sh starts (with the team
# store's PostgreSQL and s3rver), against bare `sbatch --wrap true` jobs
# with the same dependencies, in one run: a chain of N actions (each job
# depends on the one before, afterok) and N independent ones. Per action:
# the whole run's median / N.
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
target "scheduling overhead per action at most 1.5x bare sbatch jobs (chain: $(ratio "$a_chain" "$b_chain")x)" \
  "$(lt "$(calc "$a_chain / $b_chain")" 1.5)"
echo
