#!/usr/bin/env bash
# bench_metrics: recording metric points. One tracked action of the
# bench_steps plugin calls aero_log_metric BENCH_METRICS_N times (default
# 1,000,000), one point a call, in its own process; every point goes
# through the relay to aerohost, which records it in SQLite. Points/s =
# N / (t(N points) - t(no point)). Beside it, the floor of the store
# itself: the sqlite3 shell inserting the same number of rows into a copy
# of the same store's metrics table in one transaction.
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
got=$(sqlite3 "$db" "SELECT count(*) FROM metrics WHERE run_id = $last")
[[ $got == "$N" ]] || die "run $last recorded $got points, not $N"

# The same table, empty, in a database of its own: the shell's insert of N
# rows with the same index, one transaction.
sqlite3 "$db" ".schema metrics" >"$bench_dir/schema.sql" ||
  die "cannot read the metrics table's schema"
insert="PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
BEGIN; WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i
WHERE n + 1 < $N) INSERT INTO metrics (run_id, key, value, step, logged_at)
SELECT 1, 'loss', 1.0 / (n + 1), n, 1700000000000000000 + n FROM i; COMMIT;"
printf '%s\n' "$insert" >"$bench_dir/insert.sql"

note "timing $N points"
hf "$bench_dir/metrics.json" --warmup 1 --runs 5 \
  --prepare true --prepare true \
  --prepare "rm -f $bench_dir/floor.db* && sqlite3 $bench_dir/floor.db <$bench_dir/schema.sql" \
  -n "aerohost, $N points" "$run --metrics $N" \
  -n "aerohost, no point" "$run --metrics 0" \
  -n "sqlite3 shell, $N rows" "sqlite3 $bench_dir/floor.db <$bench_dir/insert.sql"
t_n=$(median "$bench_dir/metrics.json" 0)
t_0=$(median "$bench_dir/metrics.json" 1)
t_sql=$(median "$bench_dir/metrics.json" 2)
rate=$(python3 -c "d = $t_n - $t_0; print(int($N / d) if d > 0 else 0)")
rate_sql=$(python3 -c "print(int($N / $t_sql) if $t_sql > 0 else 0)")

echo "## Metric points (bench_metrics)"
echo
echo "One action calls aero_log_metric $N times (one point a call) in its own"
echo "process; aerohost records every point (the relay, then SQLite). Points/s ="
echo "N / (t(N points) - t(no point)), medians of hyperfine runs. The floor: the"
echo "sqlite3 shell inserting N rows into the same metrics table (same index) in"
echo "one transaction."
echo
echo "| what | median (ms) | points/s |"
echo "|---|---:|---:|"
echo "| aerohost, $N points | $(ms "$t_n") | $rate |"
echo "| aerohost, no point | $(ms "$t_0") | |"
echo "| sqlite3 shell, $N rows | $(ms "$t_sql") | $rate_sql |"
echo
target "aero_log_metric, one point a call: >= 1,000,000 points/s ($rate)" \
  "$(python3 -c "print(1 if $rate >= 1000000 else 0)")"
