#!/usr/bin/env bash
# bench_demo: `aerohost run aerodemo.so --dev` end to end (load the plugin,
# parse flags, build the graph, fork and track three actions that write,
# hash and publish real files, log 40 metrics), median of 40 runs on one
# store. Beside it: `aerohost list` (the same plugin loaded and its graph
# built, nothing run) and the start-up of a Python interpreter importing
# sqlite3 and json, the floor under any Python-based runner (the framework
# aeromancy re-imagines is one).
. "$(dirname "$0")/lib.sh"

plugin="$AERO_BENCH_BUILD/examples/aerodemo/aerodemo.so"
[[ -f $plugin ]] || die "no $plugin: build the examples"
export AEROMANCY_STORE="$bench_dir/store"
cd "$bench_dir" || die "cannot enter $bench_dir"
# Debian's interpreter, not a version-manager shim (a shell script itself).
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)

"$AEROHOST" run "$plugin" --dev >"$bench_dir/first.log" 2>&1 ||
  die "aerohost run failed: $(tail -2 "$bench_dir/first.log" | tr '\n' ' ')"

note "timing aerohost run aerodemo.so --dev"
hf "$bench_dir/demo.json" -N --warmup 3 --runs 40 \
  -n "aerohost run aerodemo.so --dev" "$AEROHOST run $plugin --dev --force" \
  -n "aerohost list aerodemo.so" "$AEROHOST list $plugin" \
  -n "python3 -c 'import sqlite3, json'" "$py -c 'import sqlite3, json'"
run=$(median "$bench_dir/demo.json" 0)
list=$(median "$bench_dir/demo.json" 1)
pystart=$(median "$bench_dir/demo.json" 2)

echo "## Demo pipeline end to end (bench_demo)"
echo
echo "\`aerohost run aerodemo.so --dev\`: 3 tracked actions, each in its own"
echo "process, with real files declared and published, 40 metrics. Median of"
echo "40 runs on one store (hyperfine, no shell)."
echo
echo "| command | median (ms) | min (ms) | ratio to run (medians) |"
echo "|---|---:|---:|---:|"
echo "| aerohost run aerodemo.so --dev | $(ms "$run") | $(ms "$(median "$bench_dir/demo.json" 0 min)") | 1.00 |"
echo "| aerohost list aerodemo.so (load + graph only) | $(ms "$list") | $(ms "$(median "$bench_dir/demo.json" 1 min)") | $(ratio "$list" "$run") |"
echo "| python3 -c 'import sqlite3, json' (interpreter start-up only) | $(ms "$pystart") | $(ms "$(median "$bench_dir/demo.json" 2 min)") | $(ratio "$pystart" "$run") |"
echo
target "aerodemo end to end < 30 ms median ($(ms "$run") ms)" "$(lt "$run" 0.030)"
echo
