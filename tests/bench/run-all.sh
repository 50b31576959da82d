#!/usr/bin/env bash
# Runs the benchmarks and writes one Markdown report, to stdout and to
# REPORT when given. Not a test: it measures and prints, side by side with
# what users would use instead, and says which targets are met.
#
# Usage: tests/bench/run-all.sh [REPORT.md] [NAME...]
#   NAME: demo, steps, plan, hash, ... (tests/bench/bench_NAME.sh); default all
#
# Builds a Release tree without sanitizers in $AERO_BENCH_BUILD (default
# build-bench/ at the top of the repository) and runs every
# tests/bench/bench_*.sh against it (see tests/bench/lib.sh for what each
# one gets). Needs hyperfine, make, ninja, openssl and python3:
# cmake/install-deps.sh test installs them.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
report=
if [[ $# -gt 0 && $1 == *.md ]]; then
  report=$1
  shift
fi

for tool in hyperfine make ninja openssl python3 cmake; do
  command -v "$tool" >/dev/null || {
    echo "run-all.sh: $tool is missing: run cmake/install-deps.sh test" >&2
    exit 2
  }
done

build=${AERO_BENCH_BUILD:-$root/build-bench}
echo "run-all.sh: building a Release tree in $build" >&2
if ! { cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
         -DAERO_SANITIZE=OFF >"$build.configure.log" 2>&1 &&
       cmake --build "$build" -j 2 >"$build.build.log" 2>&1; }; then
  echo "run-all.sh: the Release build failed; see $build.configure.log and $build.build.log" >&2
  exit 2
fi

export AERO_BENCH_BUILD=$build
export AEROHOST=$build/host/aerohost
export AERO_FIXTURES=$build/tests/plugins
export AEROMANCY_PLUGIN_PATH=$build/plugins
export AERO_SOURCE_DIR=$root
[[ -x $build/host/aeromancy ]] && export AEROMANCY=$build/host/aeromancy
AERO_BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/aero-bench.XXXXXX")
export AERO_BENCH_TMP
trap 'rm -rf "$AERO_BENCH_TMP"' EXIT

benches=()
if (($# > 0)); then
  for name in "$@"; do benches+=("$root/tests/bench/bench_$name.sh"); done
else
  for script in "$root"/tests/bench/bench_*.sh; do benches+=("$script"); done
fi

# How busy the machine is, in the unit every benchmark pays: spawning a
# process (fork + exec + wait of /bin/true).
spawn_json=$AERO_BENCH_TMP/spawn.json
hyperfine -N --style none --warmup 20 --runs 200 --export-json "$spawn_json" /bin/true \
  >/dev/null 2>&1
spawn_ms=$(python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' \
  "$spawn_json" 2>/dev/null || echo "?")

out=$AERO_BENCH_TMP/report.md
{
  echo "# aeromancy benchmarks"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
       "$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
  echo "- build: Release, no sanitizers ($build)"
  echo "- load average (1, 5, 15 min) at start: $(cut -d' ' -f1-3 /proc/loadavg); other work on the"
  echo "  machine inflates every figure, the medians less than the means"
  echo "- process spawn (fork + exec + wait of /bin/true), median: $spawn_ms ms"
  echo "- tools: $(hyperfine --version), $(make --version | head -1), ninja $(ninja --version)," \
       "$(openssl version | cut -d' ' -f1-2)"
  echo
} >"$out"

failed=0
for script in "${benches[@]}"; do
  name=$(basename "$script" .sh)
  if [[ ! -f $script ]]; then
    echo "run-all.sh: no benchmark $script" >&2
    failed=1
    continue
  fi
  echo "run-all.sh: $name" >&2
  if ! bash "$script" >"$AERO_BENCH_TMP/$name.md"; then
    failed=1
    {
      echo "## $name"
      echo
      echo "**could not measure**: see the messages above in the run's output."
      echo
    } >"$AERO_BENCH_TMP/$name.md"
  fi
  cat "$AERO_BENCH_TMP/$name.md" >>"$out"
done

echo "Load average (1, 5, 15 min) at the end: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$out"
cat "$out"
[[ -n $report ]] && cp "$out" "$report"
exit "$failed"
