# Shared helpers for the benchmarks (tests/bench/bench_*.sh). Source it:
#   . "$(dirname "$0")/lib.sh"
#
# A benchmark is a script tests/bench/bench_NAME.sh that run-all.sh runs with
# bash. It prints its Markdown section of the report on stdout ("## NAME",
# then tables and one line per target: "**target** ... met" or "NOT met"),
# progress on stderr, and exits non-zero only when it could not measure.
# run-all.sh sets, for a Release build without sanitizers:
#   AERO_BENCH_BUILD  the build folder
#   AEROHOST          its aerohost
#   AERO_FIXTURES     its fixture plugins (bench_steps.so, bench_hash.so...)
#   AEROMANCY_PLUGIN_PATH  its backend plugins (tracker-local)
#   AERO_SOURCE_DIR   this repository
#   AEROMANCY         its runner (host/aeromancy), when built
#   AERO_BENCH_TMP    a scratch folder, removed afterwards
# Each benchmark uses its own store under $AERO_BENCH_TMP.
set -uo pipefail

: "${AEROHOST:?run the benchmarks through tests/bench/run-all.sh}"
: "${AERO_BENCH_TMP:?run the benchmarks through tests/bench/run-all.sh}"
export NO_COLOR=1

bench_name=$(basename "$0" .sh)
bench_src=$(cd "$(dirname "$0")" && pwd) # this folder, whatever the cwd later
bench_dir="$AERO_BENCH_TMP/$bench_name"
mkdir -p "$bench_dir"
export HOME="$bench_dir/home"
mkdir -p "$HOME"

# note MESSAGE...: progress on stderr.
note() {
  echo "[$bench_name] $*" >&2
}

# die MESSAGE...: the benchmark cannot measure; one line on stderr, exit 1.
die() {
  echo "[$bench_name] error: $*" >&2
  exit 1
}

# hf JSON HYPERFINE_ARGS...: runs hyperfine quietly, exporting to JSON.
hf() {
  local json=$1
  shift
  hyperfine --style none --export-json "$json" "$@" >"$json.log" 2>&1 ||
    die "hyperfine failed: $(tail -3 "$json.log" | tr '\n' ' ')"
}

# median JSON [INDEX [FIELD]]: median seconds of the INDEX-th command
# (default 0); FIELD min, max or mean instead of median.
median() {
  python3 -c 'import json,sys; print("%.9f" % json.load(open(sys.argv[1]))["results"][int(sys.argv[2])][sys.argv[3]])' \
    "$1" "${2:-0}" "${3:-median}"
}

# schema4_metrics: the SQL of schema 4's metrics table, a row per point
# (the layout before blocks, docs/store.md): what the sqlite3 shell reads
# and writes beside aerohost. schema4_metrics_index: its covering index,
# apart, so that a bulk insert can come first.
schema4_metrics() {
  cat <<'SQL'
CREATE TABLE metrics (id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL, value REAL NOT NULL,
  step INTEGER CHECK (step IS NULL OR step >= 0), logged_at INTEGER NOT NULL);
SQL
}
schema4_metrics_index() {
  echo "CREATE INDEX metrics_points ON metrics (run_id, key, step, id, value, logged_at);"
}

# calc EXPR: floating-point arithmetic, printed with up to 6 decimals.
calc() {
  python3 -c "print(round($1, 6))"
}

# ms SECONDS: "12.34" (milliseconds, 2 decimals).
ms() {
  python3 -c "print('%.2f' % ($1 * 1000))"
}

# ratio A B: A/B with 2 decimals ("n/a" when B is 0).
ratio() {
  python3 -c "b=$2; print('%.2f' % ($1 / b) if b else 'n/a')"
}

# target TEXT OK: prints the target line, met or not (OK is 1 or 0).
target() {
  if [[ $2 == 1 ]]; then
    echo "- **target** $1: met"
  else
    echo "- **target** $1: **NOT met**"
  fi
}

# lt A B: 1 when A < B, else 0.
lt() {
  python3 -c "print(1 if $1 < $2 else 0)"
}

# make_graph DIR N SHAPE: writes DIR/Makefile and DIR/build.ninja with N
# steps named step-I, each touching its file out/step-I; SHAPE chain makes
# each step depend on the previous one, wide makes them independent. The
# same graph the bench_steps plugin builds.
make_graph() {
  local dir=$1 n=$2 shape=$3
  mkdir -p "$dir"
  python3 - "$dir" "$n" "$shape" <<'EOF'
import sys
d, n, shape = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(d + "/Makefile", "w") as mk, open(d + "/build.ninja", "w") as nj:
    mk.write(".SUFFIXES:\nall: out/step-%d\n" % (n - 1) if shape == "chain"
             else ".SUFFIXES:\nall: " + " ".join("out/step-%d" % i for i in range(n)) + "\n")
    nj.write("rule touch\n  command = touch $out\n")
    for i in range(n):
        dep = " out/step-%d" % (i - 1) if shape == "chain" and i > 0 else ""
        mk.write("out/step-%d:%s\n\t@touch $@\n" % (i, dep))
        nj.write("build out/step-%d: touch%s\n" % (i, dep))
    mk.write("$(shell mkdir -p out)\n")
EOF
}

# bench_test_servers: what tests/servers.sh and tests/slurm.sh expect of
# tests/lib.sh; source them after calling it. A server that does not start
# is an error here (CI=true), never a skip.
bench_test_servers() {
  AERO_TMP="$bench_dir/servers"
  AERO_TEST_NAME=$bench_name
  AERO_BUILD_DIR=$AERO_BENCH_BUILD
  mkdir -p "$AERO_TMP"
  fail() { die "$*"; }
  done_() { :; }
  CI=true
}
