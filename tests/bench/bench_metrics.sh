#!/usr/bin/env bash
# bench_metrics: recording metric points. One tracked action of the
# bench_steps plugin calls aero_log_metric BENCH_METRICS_N times (default
# 1,000,000), one point a call, in its own process; every point goes
# through the relay to aerohost, which records it in SQLite (in blocks:
# one row per key per batch, docs/store.md). Points/s =
# N / (t(N points) - t(no point)). Beside it, what one SQLite row per
# point costs: the sqlite3 shell inserting the same number of rows into
# the metrics table of schema 4 (a row per point and its covering index,
# the layout before blocks) in one transaction. With AERO_BENCH_BEFORE set
# to the build folder of another commit (a Release build, e.g. of main
# before a change), its aerohost is timed in the same hyperfine run.
. "$(dirname "$0")/lib.sh"

N=${BENCH_METRICS_N:-1000000}
plugin="$AERO_FIXTURES/bench_steps.so"
[[ -f $plugin ]] || die "no $plugin: build the fixture plugins"
command -v sqlite3 >/dev/null || die "sqlite3 is missing (cmake/install-deps.sh build)"
export AEROMANCY_STORE="$bench_dir/store"
cd "$bench_dir" || die "cannot enter $bench_dir"

run="$AEROHOST run $plugin --dev --force -- --actions 1"
$run --metrics "$N" >"$bench_dir/first.log" 2>&1 ||
  die "aerohost run failed: $(tail -2 "$bench_dir/first.log" | tr '\n' ' ')"
db=$AEROMANCY_STORE/aeromancy.db
last=$(sqlite3 "$db" "SELECT max(id) FROM runs")
got=$(sqlite3 "$db" "SELECT sum(count) FROM metric_blocks WHERE run_id = $last")
[[ $got == "$N" ]] || die "run $last recorded $got points, not $N"

# Schema 4's metrics table, empty, in a database of its own: the shell's
# insert of N rows with its index, one transaction.
cat >"$bench_dir/schema.sql" <<SQL
CREATE TABLE runs (id INTEGER PRIMARY KEY);
INSERT INTO runs (id) VALUES (1);
$(schema4_metrics)
$(schema4_metrics_index)
SQL
insert="PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
BEGIN; WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i
WHERE n + 1 < $N) INSERT INTO metrics (run_id, key, value, step, logged_at)
SELECT 1, 'loss', 1.0 / (n + 1), n, 1700000000000000000 + n FROM i; COMMIT;"
printf '%s\n' "$insert" >"$bench_dir/insert.sql"

before=()
if [[ -n ${AERO_BENCH_BEFORE:-} ]]; then
  old_host=$AERO_BENCH_BEFORE/host/aerohost
  old_plugin=$AERO_BENCH_BEFORE/tests/plugins/bench_steps.so
  [[ -x $old_host && -f $old_plugin ]] ||
    die "AERO_BENCH_BEFORE=$AERO_BENCH_BEFORE holds no aerohost and bench_steps.so"
  # Its own store (another schema) and its own backend plugins.
  old_run="env AEROMANCY_STORE=$bench_dir/before-store AEROMANCY_PLUGIN_PATH=$AERO_BENCH_BEFORE/plugins $old_host run $old_plugin --dev --force -- --actions 1"
  before=(--prepare true --prepare true
    -n "before: aerohost, $N points" "$old_run --metrics $N"
    -n "before: aerohost, no point" "$old_run --metrics 0")
fi

note "timing $N points"
# CPU time (user + system of aerohost and the action) beside the wall
# clock: on the shared machine the wall clock moves with other work.
hf "$bench_dir/metrics.json" --warmup 1 --runs 5 \
  --prepare true --prepare true \
  --prepare "rm -f $bench_dir/floor.db* && sqlite3 $bench_dir/floor.db <$bench_dir/schema.sql" \
  -n "aerohost, $N points" "$run --metrics $N" \
  -n "aerohost, no point" "$run --metrics 0" \
  -n "sqlite3 shell, $N rows" "sqlite3 $bench_dir/floor.db <$bench_dir/insert.sql" \
  "${before[@]}"
t_n=$(median "$bench_dir/metrics.json" 0)
t_0=$(median "$bench_dir/metrics.json" 1)
t_sql=$(median "$bench_dir/metrics.json" 2)
rate=$(python3 -c "d = $t_n - $t_0; print(int($N / d) if d > 0 else 0)")
rate_sql=$(python3 -c "print(int($N / $t_sql) if $t_sql > 0 else 0)")
# cpu INDEX: mean user + system seconds of the INDEX-th command.
cpu() {
  python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print("%.3f" % (r["user"] + r["system"]))' \
    "$bench_dir/metrics.json" "$1"
}

echo "## Metric points (bench_metrics)"
echo
echo "One action calls aero_log_metric $N times (one point a call) in its own"
echo "process; aerohost records every point (the relay, then SQLite). Points/s ="
echo "N / (t(N points) - t(no point)), medians of hyperfine runs. Beside it, one"
echo "row per point: the sqlite3 shell inserting N rows into schema 4's metrics"
echo "table (its covering index) in one transaction."
echo
echo "| what | median (ms) | points/s | CPU s (user+sys, mean) |"
echo "|---|---:|---:|---:|"
echo "| aerohost, $N points | $(ms "$t_n") | $rate | $(cpu 0) |"
echo "| aerohost, no point | $(ms "$t_0") | | $(cpu 1) |"
echo "| sqlite3 shell, $N rows | $(ms "$t_sql") | $rate_sql | $(cpu 2) |"
if ((${#before[@]} > 0)); then
  t_bn=$(median "$bench_dir/metrics.json" 3)
  t_b0=$(median "$bench_dir/metrics.json" 4)
  rate_b=$(python3 -c "d = $t_bn - $t_b0; print(int($N / d) if d > 0 else 0)")
  echo "| before ($AERO_BENCH_BEFORE), $N points | $(ms "$t_bn") | $rate_b | $(cpu 3) |"
  echo "| before, no point | $(ms "$t_b0") | | $(cpu 4) |"
fi
echo "| load average at the end | $(cut -d' ' -f1-3 /proc/loadavg) | | |"
echo
target "aero_log_metric, one point a call: >= 1,000,000 points/s ($rate)" \
  "$(python3 -c "print(1 if $rate >= 1000000 else 0)")"
