#!/usr/bin/env bash
# bench_steps: the cost of one tracked action with -j 1, against GNU make
# and ninja running the same graph of trivial steps (each touches its file).
#
# Per-step cost is the slope (t(N) - t(1)) / (N - 1), so that start-up
# (loading the plugin, opening the store; reading the Makefile) cancels out.
# aerohost's actions are tracked: each is forked, its run recorded as
# started, then finished, in the store; "+declare" also writes a file and
# declares it as an output (hash, store, publish). make and ninja fork and
# exec `touch` (ninja through /bin/sh -c).
. "$(dirname "$0")/lib.sh"

N=${BENCH_STEPS_N:-200}
plugin="$AERO_FIXTURES/bench_steps.so"
[[ -f $plugin ]] || die "no $plugin: build the fixture plugins"
command -v make >/dev/null || die "GNU make is missing (cmake/install-deps.sh test)"
command -v ninja >/dev/null || die "ninja is missing (cmake/install-deps.sh test)"
export AEROMANCY_STORE="$bench_dir/store"
cd "$bench_dir" || die "cannot enter $bench_dir"

for n in 1 3 "$N"; do
  make_graph "$bench_dir/g$n" "$n" chain
done
"$AEROHOST" run "$plugin" --dev -j 1 -- --actions 3 --declare >"$bench_dir/first.log" 2>&1 ||
  die "aerohost run failed: $(tail -2 "$bench_dir/first.log" | tr '\n' ' ')"

# measure NAME N: medians of every tool on the N-step chain, into $NAME.json
measure() {
  local name=$1 n=$2 runs=$3 g="$bench_dir/g$2"
  note "timing $n-step chains"
  # one --prepare per command, in order: make and ninja start from scratch
  hf "$bench_dir/$name.json" --warmup 1 --runs "$runs" \
    --prepare true --prepare true --prepare "rm -rf $g/out" \
    --prepare "rm -rf $g/out $g/.ninja_log $g/.ninja_deps" \
    -n "aerohost" "$AEROHOST run $plugin --dev -j 1 -- --actions $n --shape chain" \
    -n "aerohost+declare" "$AEROHOST run $plugin --dev -j 1 -- --actions $n --shape chain --declare" \
    -n "make" "make -s -j1 -C $g" \
    -n "ninja" "ninja -j1 -C $g"
}
measure one 1 10
measure three 3 10
measure many "$N" 5

tools=(aerohost aerohost+declare make ninja)
declare -A slope chain3
for i in 0 1 2 3; do
  t1=$(median "$bench_dir/one.json" "$i")
  tn=$(median "$bench_dir/many.json" "$i")
  slope[${tools[$i]}]=$(calc "($tn - $t1) / ($N - 1)")
  chain3[${tools[$i]}]=$(median "$bench_dir/three.json" "$i")
done

echo "## Per-action overhead (bench_steps)"
echo
echo "A chain of N trivial steps run one at a time (-j 1). Per step: (t(N=$N) -"
echo "t(N=1)) / $((N - 1)), medians of hyperfine runs. aerohost's steps are tracked"
echo "no-op actions (fork, run recorded in SQLite, finalised); \"+declare\" also"
echo "writes a small file and declares it (hash, blob store, publish). make and"
echo "ninja run \`touch\` per step."
echo
echo "| tool | per step (ms) | ratio to make | ratio to ninja | 3-step chain (ms) |"
echo "|---|---:|---:|---:|---:|"
for tool in "${tools[@]}"; do
  echo "| $tool | $(ms "${slope[$tool]}") | $(ratio "${slope[$tool]}" "${slope[make]}") |" \
       "$(ratio "${slope[$tool]}" "${slope[ninja]}") | $(ms "${chain3[$tool]}") |"
done
echo
target "tracked no-op action < 2 ms with -j 1 ($(ms "${slope[aerohost]}") ms)" \
  "$(lt "${slope[aerohost]}" 0.002)"
echo
