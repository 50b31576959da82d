#!/usr/bin/env bash
# bench_ui: `aeromancy ui` on a large store, side by side with the floor for
# a static page, `python3 -m http.server` serving the same pages and the
# same JSON (saved from our /api/) from files.
#
# The store: aerodemo run for real (5 pipelines, and one train run of
# 1,000,000 epochs that logs a 1,000,000-point loss), then its runs
# multiplied with sqlite3 (runs, config, environment, tags, metric blocks and
# their summaries of the small runs copied under new ids) to 100,000 runs.
# Measured: the first answer of the runs page (its HTML, and /api/runs,
# the first page of 50 runs with their last metric values) with
# hyperfine + curl; the runs page and the run page of the 1,000,000-point
# run in headless chromium (puppeteer-core), until the table / the last
# chart is drawn: the first load after the server started (the run's
# answers read from the store, by the thread that computes them as soon as
# the page is asked for: ui_prefetch.h) apart from later ones (kept in
# memory).
. "$(dirname "$0")/lib.sh"
. "$bench_src/../cli/ui_lib.sh"

[[ -n ${AEROMANCY:-} ]] || die "no aeromancy runner built"
plugin="$AERO_BENCH_BUILD/examples/aerodemo/aerodemo.so"
[[ -f $plugin ]] || die "no $plugin: build the examples"
export AEROMANCY_STORE="$bench_dir/store"
AERO_TMP=$bench_dir # for ui_lib.sh
cd "$bench_dir" || die "cannot enter $bench_dir"
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)
ui_puppeteer "$AERO_BENCH_BUILD/ui-test-node" || die "cannot install $UI_PUPPETEER"

note "recording real aerodemo runs (one of 1,000,000 epochs)"
for lr in 0.05 0.04 0.03 0.02 0.01; do
  "$AEROHOST" run "$plugin" --dev -- --learning-rate $lr >"$bench_dir/run.log" 2>&1 ||
    die "aerohost run failed: $(tail -2 "$bench_dir/run.log" | tr '\n' ' ')"
done
"$AEROHOST" run "$plugin" --dev --only train -- --epochs 1000000 \
  >"$bench_dir/run.log" 2>&1 ||
  die "the 1,000,000-epoch run failed: $(tail -2 "$bench_dir/run.log" | tr '\n' ' ')"
db=$AEROMANCY_STORE/aeromancy.db
big=$(sqlite3 "$db" "SELECT max(id) FROM runs WHERE job_type = 'train'")
points=$(sqlite3 "$db" "SELECT sum(count) FROM metric_blocks WHERE run_id = $big")
[[ $points == 1000000 ]] || die "run $big logged $points points, not 1000000"

note "multiplying the runs to 100,000"
# copy TABLE KEY [WHERE]: the rows of the runs up to $off again, under the
# run ids shifted by $off (KEY is the run id column); whatever the columns.
copy() {
  local cols
  cols=$(sqlite3 "$db" "SELECT group_concat(name, ', ') FROM pragma_table_info('$1')
    WHERE name NOT IN ('$2', 'id')") || die "no table $1"
  echo "INSERT INTO $1 ($2, $cols) SELECT $2 + $off, $cols FROM $1
        WHERE $2 <= $off ${3:-};"
}
while (($(sqlite3 "$db" "SELECT count(*) FROM runs") < 100000)); do
  off=$(sqlite3 "$db" "SELECT max(id) FROM runs")
  { echo "BEGIN;"
    copy run_records id # (schema 7: `runs` is a view over it and invocations)
    copy run_config run_id
    copy run_env run_id
    copy run_tags run_id
    copy metric_blocks run_id "AND run_id != $big"
    copy metric_summaries run_id "AND run_id != $big"
    echo "COMMIT;"
  } | sqlite3 -cmd ".timeout 10000" "$db" || die "cannot grow the store"
done
nruns=$(sqlite3 "$db" "SELECT count(*) FROM runs")
npoints=$(sqlite3 "$db" "SELECT sum(count) FROM metric_blocks")
note "store: $nruns runs, $npoints metric points"

ui_start --store "$AEROMANCY_STORE" || die "aeromancy ui did not start: $(cat "$bench_dir/ui.err")"
trap 'ui_stop' EXIT

# The static mirror: the same pages and the same answers, as files.
mirror=$bench_dir/mirror
mkdir -p "$mirror/static" "$mirror/run/$big" "$mirror/api/runs/$big"
get() { curl -sf --noproxy '*' -o "$2" "$UI_URL$1" || die "GET $1 failed"; }
get / "$mirror/index.html"
for f in app.css common.js runs.js run.js chart.min.js; do
  get "/static/$f" "$mirror/static/$f"
done
get "/api/runs?limit=50" "$mirror/api/runs/index.html"   # /api/runs -> /api/runs/
# The first answers about the big run: computed from the backend (later
# ones are kept, ui_cache.h), timed by curl.
cold() {
  curl -sf --noproxy '*' -o "$2" -w '%{time_total}' "$UI_URL$1" || die "GET $1 failed"
}
show_cold=$(cold "/api/runs/$big" "$mirror/api/runs/$big/index.html") # /api/runs/ID -> .../ID/
# cpu_ms PID: the CPU time (user + system) process PID has used, in ms.
cpu_ms() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$1/stat"
}
cpu_before=$(cpu_ms "$UI_PID")
series_cold=$(cold "/api/runs/$big/series?key=loss" "$mirror/api/runs/$big/series")
series_cpu=$(calc "$(cpu_ms "$UI_PID") - $cpu_before")
# Only now: asking for the run's page has the server compute its answers
# ahead (ui_prefetch.h), which the two first answers above would not be.
get "/run/$big" "$mirror/run/$big/index.html"
# The same ordered read of the million points by the sqlite3 shell, in CPU
# time too: what any reader of this file pays, whatever the load. The
# shell reads them from a row per point (schema 4's table and covering
# index, in a database of their own: docs/store.md), its fastest layout.
rows_db=$bench_dir/rows.db
"$AEROMANCY" metrics "$big" --csv --store "$AEROMANCY_STORE" >"$bench_dir/points.csv" ||
  die "aeromancy metrics $big failed"
sqlite3 "$rows_db" >/dev/null <<SQL || die "cannot make the rows database"
$(schema4_metrics)
CREATE TEMP TABLE csv (key TEXT, step INTEGER, value REAL, time REAL);
.import --csv --skip 1 $bench_dir/points.csv csv
INSERT INTO metrics (run_id, key, value, step, logged_at)
  SELECT $big, key, value, step, CAST(time * 1e9 AS INTEGER) FROM csv;
$(schema4_metrics_index)
SQL
points_sql="SELECT count(*), sum(value), sum(step), max(logged_at) FROM (SELECT
  value, step, logged_at FROM metrics WHERE run_id = $big AND key = 'loss'
  ORDER BY step, id)"
sqlite_cpu=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print((r.ru_utime + r.ru_stime) * 1000)' sqlite3 "$rows_db" "$points_sql") ||
  die "sqlite3 could not read the points"
# Started again for the timings below.
ui_stop
ui_start --store "$AEROMANCY_STORE" || die "aeromancy ui did not restart"
pyport=$((UI_PORT + 1))
(cd "$mirror" && exec "$py" -m http.server --bind 127.0.0.1 "$pyport") \
  >"$bench_dir/py.log" 2>&1 &
pypid=$!
trap 'ui_stop; kill $pypid 2>/dev/null' EXIT
for ((i = 0; i < 100; i++)); do
  curl -sf --noproxy '*' -o /dev/null "http://127.0.0.1:$pyport/" && break
  sleep 0.1
done
PY_URL=http://127.0.0.1:$pyport

note "timing first answers (hyperfine + curl)"
c="curl -sf --noproxy 127.0.0.1 -o /dev/null"
hf "$bench_dir/first.json" -N --warmup 3 --runs 30 \
  -n "ui /" "$c $UI_URL/" \
  -n "ui /api/runs?limit=50" "$c $UI_URL/api/runs?limit=50" \
  -n "http.server /" "$c $PY_URL/" \
  -n "http.server /api/runs/ (file)" "$c $PY_URL/api/runs/" \
  -n "ui /api/runs/$big/series?key=loss" "$c $UI_URL/api/runs/$big/series?key=loss" \
  -n "ui /api/runs/$big" "$c $UI_URL/api/runs/$big"

note "timing first loads in chromium (a fresh server, a fresh browser each)"
# The answers hyperfine asked for above are kept: a server started again
# has read nothing. Each first load runs in a browser of its own, so that
# neither side finds the other's scripts already compiled; 3 of each,
# alternating, medians.
# first_load NAME BASE RUN_URL: ms to the last chart of the first load of
# the run page, after the runs page, in a new browser.
first_load() {
  local p
  p=$(printf '[["%s runs","%s/","aeroRunsDrawn"],["%s run","%s","aeroChartsDrawn"]]' \
    "$1" "$2" "$1" "$3")
  NODE_PATH="$AERO_BENCH_BUILD/ui-test-node/node_modules" PROFILE="$bench_dir/profile-$1" \
    RUNS=0 PAGES="$p" node "$bench_src/ui_bench.js" >"$bench_dir/first-$1.json" \
    2>"$bench_dir/first-$1.err" || die "browser timing failed: $(tail -3 "$bench_dir/first-$1.err")"
  python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))[sys.argv[2] + " run (first)"])' \
    "$bench_dir/first-$1.json" "$1"
}
ui_firsts=() py_firsts=()
for k in 1 2 3; do
  ui_stop
  ui_start --store "$AEROMANCY_STORE" || die "aeromancy ui did not restart"
  ui_firsts+=("$(first_load "ui$k" "$UI_URL" "$UI_URL/run/$big")") || exit 1
  py_firsts+=("$(first_load "py$k" "$PY_URL" "$PY_URL/run/$big/")") || exit 1
done
mid3() { python3 -c 'import sys, statistics; print("%.1f" % statistics.median(map(float, sys.argv[1:])))' "$@"; }
b_run_first=$(mid3 "${ui_firsts[@]}")
b_pyrun_first=$(mid3 "${py_firsts[@]}")

note "timing pages in chromium"
pages=$(printf '[["ui runs","%s/","aeroRunsDrawn"],["http.server runs","%s/","aeroRunsDrawn"],["ui run","%s/run/%s","aeroChartsDrawn"],["http.server run","%s/run/%s/","aeroChartsDrawn"]]' \
  "$UI_URL" "$PY_URL" "$UI_URL" "$big" "$PY_URL" "$big")
NODE_PATH="$AERO_BENCH_BUILD/ui-test-node/node_modules" PROFILE="$bench_dir/profile" \
  RUNS=7 PAGES="$pages" node "$bench_src/ui_bench.js" >"$bench_dir/browser.json" \
  2>"$bench_dir/browser.err" || die "browser timing failed: $(tail -3 "$bench_dir/browser.err")"
bmed() {
  python3 -c 'import json,sys,statistics; print("%.1f" % statistics.median(json.load(open(sys.argv[1]))[sys.argv[2]]))' \
    "$bench_dir/browser.json" "$1"
}

html=$(median "$bench_dir/first.json" 0)
api=$(median "$bench_dir/first.json" 1)
pyhtml=$(median "$bench_dir/first.json" 2)
pyapi=$(median "$bench_dir/first.json" 3)
series=$(median "$bench_dir/first.json" 4)
show=$(median "$bench_dir/first.json" 5)
b_runs=$(bmed "ui runs")
b_pyruns=$(bmed "http.server runs")
b_run=$(bmed "ui run")
b_pyrun=$(bmed "http.server run")

echo "## Web app (bench_ui)"
echo
echo "\`aeromancy ui\` on a store of $nruns runs and $npoints metric points"
echo "(real aerodemo runs, multiplied with sqlite3), one run holding a"
echo "1,000,000-point loss. Beside it, \`python3 -m http.server\` serving the"
echo "same pages and the same JSON from files: the floor for a static page."
echo "First answers: median of 30 (hyperfine, curl, including curl's own"
echo "start-up). Pages: median of 7 loads in headless chromium, cache off,"
echo "from navigation start until the runs table / the last chart is drawn"
echo "(the first load apart: 3 times, each in a new browser, the server just"
echo "started, after the runs page)."
echo
echo "| what | aeromancy ui (ms) | http.server, files (ms) | ratio |"
echo "|---|---:|---:|---:|"
echo "| runs page HTML | $(ms "$html") | $(ms "$pyhtml") | $(ratio "$html" "$pyhtml") |"
echo "| /api/runs, first 50 of $nruns runs | $(ms "$api") | $(ms "$pyapi") | $(ratio "$api" "$pyapi") |"
echo "| runs page drawn (browser) | $b_runs | $b_pyruns | $(ratio "$b_runs" "$b_pyruns") |"
echo "| /api/runs/ID of the 1,000,000-point run, first answer (read from the store) | $(ms "$show_cold") | | |"
echo "| /api/runs/ID/series, 1,000,000 points downsampled, first answer | $(ms "$series_cold") | | |"
echo "| the same, CPU time of the server (ms) vs the sqlite3 shell's CPU time for the same ordered read of the points | $(printf '%.0f' "$series_cpu") | sqlite3: $(printf '%.0f' "$sqlite_cpu") | $(ratio "$series_cpu" "$sqlite_cpu") |"
echo "| /api/runs/ID again (kept: the run has ended) | $(ms "$show") | | |"
echo "| /api/runs/ID/series again (kept) | $(ms "$series") | | |"
echo "| run page, last chart drawn, first load (a fresh server; a fresh browser each; median of 3: ${ui_firsts[*]} / ${py_firsts[*]}) | $b_run_first | $b_pyrun_first | $(ratio "$b_run_first" "$b_pyrun_first") |"
echo "| run page, last chart drawn, later loads (browser) | $b_run | $b_pyrun | $(ratio "$b_run" "$b_pyrun") |"
echo
target "runs page of a $nruns-run store: first answer < 100 ms (HTML $(ms "$html") ms, first page of runs $(ms "$api") ms)" \
  "$(lt "$api" 0.100)"
target "run page with a 1,000,000-point metric: last chart drawn < 300 ms (later loads $b_run ms)" \
  "$(lt "$b_run" 300)"
target "the same, first load after the server started ($b_run_first ms)" \
  "$(lt "$b_run_first" 300)"
echo
