#!/usr/bin/env bash
# bench_steps: the cost of one tracked action with -j 1, against GNU make
# and ninja running the same graph of trivial steps (each touches its file).
#
# Per-step cost is the slope (t(N) - t(1)) / (N - 1), so that start-up
# (loading the plugin, opening the store; reading the Makefile) cancels out.
# aerohost's actions are tracked, and an action must declare the outputs it
# lists: "no-op" actions (independent) are each forked, their run recorded
# as started, write a small file and declare it (hash, blob store, publish),
# then finished; the "chain" actions each also resolve their parent's
# output as input. make and ninja run a chain whose steps fork and
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
"$AEROHOST" run "$plugin" --dev -j 1 -- --actions 3 --shape chain >"$bench_dir/first.log" 2>&1 ||
  die "aerohost run failed: $(tail -2 "$bench_dir/first.log" | tr '\n' ' ')"

# measure NAME N: medians of every tool on the N-step chain, into $NAME.json
measure() {
  local name=$1 n=$2 runs=$3 g="$bench_dir/g$2"
  note "timing $n-step chains"
  # one --prepare per command, in order: make and ninja start from scratch
  hf "$bench_dir/$name.json" --warmup 1 --runs "$runs" \
    --prepare true --prepare true --prepare "rm -rf $g/out" \
    --prepare "rm -rf $g/out $g/.ninja_log $g/.ninja_deps" --prepare true \
    -n "aerohost no-op" "$AEROHOST run $plugin --dev --force -j 1 -- --actions $n --shape wide" \
    -n "aerohost chain" "$AEROHOST run $plugin --dev --force -j 1 -- --actions $n --shape chain" \
    -n "make" "make -s -j1 -C $g" \
    -n "ninja" "ninja -j1 -C $g" \
    -n "aerohost fresh" "$AEROHOST run $plugin --dev --force -j 1 -- --actions $n --shape wide --fresh"
}
measure one 1 10
measure three 3 10
measure many "$N" 5

# The floor under an isolated action: fork + exit + wait from a process
# with aerohost's libraries mapped (forkwait.c), median of 5 rounds.
floor=
if cc -O2 -std=c11 $(pkg-config --cflags libffi inih 2>/dev/null) \
    "$bench_src/forkwait.c" -o "$bench_dir/forkwait" -lsqlite3 \
    $(pkg-config --libs libffi inih 2>/dev/null) 2>"$bench_dir/forkwait.log"; then
  floor=$(calc "$("$bench_dir/forkwait" "$N") / 1000")
else
  note "could not build forkwait.c: $(head -1 "$bench_dir/forkwait.log")"
fi

tools=(noop chain make ninja fresh)
declare -A label=([noop]="aerohost no-op" [chain]="aerohost chain" [make]=make [ninja]=ninja
  [fresh]="aerohost fresh (100 new bytes)")
declare -A slope chain3
for i in 0 1 2 3 4; do
  t1=$(median "$bench_dir/one.json" "$i")
  tn=$(median "$bench_dir/many.json" "$i")
  slope[${tools[$i]}]=$(calc "($tn - $t1) / ($N - 1)")
  chain3[${tools[$i]}]=$(median "$bench_dir/three.json" "$i")
done

echo "## Per-action overhead (bench_steps)"
echo
echo "N trivial steps run one at a time (-j 1). Per step: (t(N=$N) - t(N=1)) /"
echo "$((N - 1)), medians of hyperfine runs. \"aerohost no-op\": tracked actions that"
echo "do the least they can: write and declare a small file (fork, run recorded in"
echo "SQLite, hash, blob store, publish, finalised). \"aerohost chain\": each action"
echo "also resolves its parent's output as input (resolved and recorded). make and ninja:"
echo "a chain of \`touch\` steps. \"aerohost fresh\": like no-op, but each action"
echo "writes 100 bytes the store has never seen (a new blob stored: the fresh"
echo "path). Every aerohost run passes --force (nothing is reused). The last"
echo "column is the whole 3-step run."
echo
echo "| tool | per step (ms) | ratio to make | ratio to ninja | 3 steps, whole run (ms) |"
echo "|---|---:|---:|---:|---:|"
for tool in "${tools[@]}"; do
  echo "| ${label[$tool]} | $(ms "${slope[$tool]}") | $(ratio "${slope[$tool]}" "${slope[make]}") |" \
       "$(ratio "${slope[$tool]}" "${slope[ninja]}") | $(ms "${chain3[$tool]}") |"
done
if [[ -n $floor ]]; then
  echo "| fork + exit + wait, aerohost's libraries mapped (the floor) | $(ms "$floor") |" \
       "$(ratio "$floor" "${slope[make]}") | $(ratio "$floor" "${slope[ninja]}") | |"
fi
echo
[[ -n $floor ]] &&
  echo "A tracked no-op action costs $(ratio "${slope[noop]}" "$floor") times a bare fork + wait here." &&
  echo
target "tracked no-op action < 2 ms with -j 1 ($(ms "${slope[noop]}") ms)" \
  "$(lt "${slope[noop]}" 0.002)"
target "fresh action (a new 100-byte output) at most 0.5x make's per-step cost ($(ratio "${slope[fresh]}" "${slope[make]}")x)" \
  "$(python3 -c "print(1 if ${slope[fresh]} <= 0.5 * ${slope[make]} else 0)")"
echo
