#!/usr/bin/env bash
# bench_plan: planning a large graph. `aerohost list` of the bench_steps
# plugin with 10k, 30k and 100k actions (load, flags, build_actions, validate
# and order, print one line per action), against `make -n` and `ninja -n` on
# the same graph of trivial steps. Growth is shown by the cost per action at
# each size. make and ninja get independent steps (wide): on a 100,000-deep
# chain they recurse once per level, which this run also shows once.
. "$(dirname "$0")/lib.sh"

plugin="$AERO_FIXTURES/bench_steps.so"
[[ -f $plugin ]] || die "no $plugin: build the fixture plugins"
cd "$bench_dir" || die "cannot enter $bench_dir"
export AEROMANCY_STORE="$bench_dir/store"
# Three sizes, smallest first (BENCH_PLAN_SIZES overrides them for a quick try).
read -r -a sizes <<<"${BENCH_PLAN_SIZES:-10000 30000 100000}"
s0=${sizes[0]} s1=${sizes[1]} s2=${sizes[2]}

"$AEROHOST" list "$plugin" -- --actions 3 >"$bench_dir/first.log" 2>&1 ||
  die "aerohost list failed: $(tail -2 "$bench_dir/first.log" | tr '\n' ' ')"

declare -A t
for n in "${sizes[@]}"; do
  make_graph "$bench_dir/w$n" "$n" wide
  note "timing $n actions"
  hf "$bench_dir/plan$n.json" --warmup 1 --runs 5 \
    -n "aerohost list (chain)" "$AEROHOST list $plugin -- --actions $n --shape chain" \
    -n "aerohost list (wide)" "$AEROHOST list $plugin -- --actions $n --shape wide" \
    -n "make -n (wide)" "make -n -C $bench_dir/w$n" \
    -n "ninja -n (wide)" "ninja -n -C $bench_dir/w$n"
  for i in 0 1 2 3; do
    t[$n,$i]=$(median "$bench_dir/plan$n.json" "$i")
  done
done
lines=$("$AEROHOST" list "$plugin" -- --actions "$s2" --shape chain | wc -l)

# make and ninja on a chain as deep as the largest size, once each, with the
# default stack.
make_graph "$bench_dir/c$s2" "$s2" chain
deep() {
  local start end rc
  start=$(date +%s%N)
  timeout 60 "$@" >/dev/null 2>&1
  rc=$?
  end=$(date +%s%N)
  case $rc in
    0) echo "ok in $(((end - start) / 1000000)) ms" ;;
    124) echo "still running after 60 s (stopped)" ;;
    139) echo "crashed (SIGSEGV, stack overflow) after $(((end - start) / 1000000)) ms" ;;
    *) echo "exit $rc after $(((end - start) / 1000000)) ms" ;;
  esac
}
note "make and ninja on a $s2-deep chain"
make_deep=$(deep make -n -C "$bench_dir/c$s2")
ninja_deep=$(deep ninja -n -C "$bench_dir/c$s2")

names=("aerohost list (chain)" "aerohost list (wide)" "make -n (wide)" "ninja -n (wide)")
echo "## Planning $s2 actions (bench_plan)"
echo
echo "Median of 5 runs. \"µs/action\" is the total divided by the number of"
echo "actions: flat when growth is linear."
echo
echo "| command | $s0 (ms) | $s1 (ms) | $s2 (ms) | µs/action at $s0 | at $s2 | ratio to aerohost (chain) at $s2 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for i in 0 1 2 3; do
  echo "| ${names[$i]} | $(ms "${t[$s0,$i]}") | $(ms "${t[$s1,$i]}") | $(ms "${t[$s2,$i]}") |" \
       "$(calc "${t[$s0,$i]} * 1e6 / $s0") | $(calc "${t[$s2,$i]} * 1e6 / $s2") |" \
       "$(ratio "${t[$s2,$i]}" "${t[$s2,0]}") |"
done
echo
echo "\`aerohost list\` printed $lines lines for $s2 actions. On a $s2-deep"
echo "chain, \`make -n\`: $make_deep; \`ninja -n\`: $ninja_deep."
echo
target "aerohost list of $s2 actions < 1 s ($(ms "${t[$s2,0]}") ms)" \
  "$(lt "${t[$s2,0]}" 1.0)"
# Linear: the cost per action at the largest size is less than 1.5 times
# that at the middle one (start-up weighs more at small sizes, so the ratio
# only falls below 1 when growth is linear).
growth=$(calc "(${t[$s2,0]} / $s2) / (${t[$s1,0]} / $s1)")
target "linear growth (cost per action at $s2 / at $s1 = $growth, < 1.5)" \
  "$(lt "$growth" 1.5)"
echo
