#!/usr/bin/env bash
# bench_query: reading the record back (aeromancy runs, show, metrics,
# fsck) on a generated store of 100,000 runs and 10,000,000 metric points,
# side by side in one run with the sqlite3 shell running the equivalent
# query on the same database, and fsck's two parts apart: its hashing
# against `openssl speed -evp sha256` (wall clock against its -elapsed
# figure, CPU time against its default one) and `openssl dgst -sha256` of
# the same blob files, its check of the metric blocks against the sqlite3
# shell reading the same rows. Every command is
# also given in CPU time (user + system): on the shared machine the wall
# clock moves with the other work, the CPU time much less.
#
# The store: its schema made by a real aerohost run of aerodemo, then the
# runs and points generated with SQL straight into the database file (one
# transaction of recursive CTEs), and BENCH_QUERY_BLOB_MIB MiB of blobs
# (default 512) recorded as the files of one version, for fsck. SQL cannot
# pack points into blocks (docs/store.md): they are generated into schema
# 4's metrics table (a row per point), and the first aeromancy command moves
# them into blocks (the upgrade, timed). The sqlite3 shell's queries read a
# copy of the file taken before: one row per point, the shell's best.
. "$(dirname "$0")/lib.sh"

: "${AEROMANCY:?bench_query needs the aeromancy runner}"
RUNS=${BENCH_QUERY_RUNS:-100000}
BIG=${BENCH_QUERY_BIG_POINTS:-1000000}
PER_RUN=${BENCH_QUERY_PER_RUN:-90} # points of every other run
BLOB_MIB=${BENCH_QUERY_BLOB_MIB:-512}
export AEROMANCY_STORE="$bench_dir/store"
db="$AEROMANCY_STORE/aeromancy.db"
cd "$bench_dir" || die "cannot enter $bench_dir"

note "making the store's schema with aerohost run aerodemo"
demo=$(find "$AERO_BENCH_BUILD/examples/aerodemo" -name aerodemo.so | head -1)
[[ -f $demo ]] || die "no aerodemo.so in $AERO_BENCH_BUILD"
# Every blob a file (none in inline_blobs, which schema 8 added after
# schema 4 and the SQL below drops).
AEROMANCY_INLINE_MAX=0 "$AEROHOST" run "$demo" --dev >/dev/null 2>&1 ||
  die "aerohost run aerodemo failed"
base=$(sqlite3 "$db" "SELECT max(id) FROM runs")
big=$((base + RUNS / 2)) # the run with a million points
shown=$((base + RUNS / 3)) # the run `show` reads

note "generating $RUNS runs and $(((RUNS - 1) * PER_RUN + BIG)) metric points with SQL"
gen_start=$(date +%s.%N)
# Rollback journal, no syncs, a big page cache while generating: in WAL
# mode the one big transaction would first be written whole to the WAL.
# The store is put back in WAL mode afterwards, as aerohost keeps it.
sqlite3 "$db" >/dev/null <<SQL || die "generating the store failed"
PRAGMA journal_mode = DELETE;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
BEGIN;
-- schema 9's view of outputs came after schema 4: run_outputs a table
-- again (aerodemo's one run reused nothing: no copies to put back)
DROP VIEW run_outputs;
ALTER TABLE run_own_outputs RENAME TO run_outputs;
-- schema 7's invocations came after schema 4: runs a table again, with
-- each run's facts in its own columns
DROP VIEW runs;
ALTER TABLE run_records ADD COLUMN git_commit TEXT;
ALTER TABLE run_records ADD COLUMN git_branch TEXT;
ALTER TABLE run_records ADD COLUMN git_message TEXT;
ALTER TABLE run_records ADD COLUMN git_remote TEXT;
ALTER TABLE run_records ADD COLUMN image_id TEXT;
ALTER TABLE run_records ADD COLUMN packages TEXT;
ALTER TABLE run_records ADD COLUMN plugin_path TEXT;
ALTER TABLE run_records ADD COLUMN plugin_sha256 TEXT;
ALTER TABLE run_records ADD COLUMN host_version TEXT;
ALTER TABLE run_records ADD COLUMN abi_version TEXT;
ALTER TABLE run_records ADD COLUMN hostname TEXT;
ALTER TABLE run_records ADD COLUMN command_line TEXT;
ALTER TABLE run_records ADD COLUMN passthrough_env TEXT;
UPDATE run_records SET (git_commit, git_branch, git_message, git_remote, image_id, packages, plugin_path, plugin_sha256, host_version, abi_version, hostname, command_line, passthrough_env) = (SELECT git_commit, git_branch, git_message, git_remote, image_id, packages, plugin_path, plugin_sha256, host_version, abi_version, hostname, command_line, passthrough_env
  FROM invocations i WHERE i.id = invocation_id);
ALTER TABLE run_records DROP COLUMN invocation_id;
DROP TABLE invocations;
ALTER TABLE run_records RENAME TO runs;
-- schema 4's points: a row each, and the covering index
DROP VIEW metrics;
DROP TABLE metric_blocks;
-- schema 6's output links and schema 8's inline blobs came after schema 4
DROP TABLE output_links;
DROP TABLE inline_blobs;
-- the aerodemo run's points went with the blocks: so do their summaries
-- (fsck, timed below, checks every summary against the points)
DELETE FROM metric_summaries;
$(schema4_metrics)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $RUNS)
INSERT INTO runs (id, project, job_type, job_group, outputs, mode, status,
  exit_code, started_at, ended_at, git_commit, git_branch, git_message,
  image_id, plugin_path, plugin_sha256, host_version, abi_version, hostname,
  command_line, passthrough_env)
SELECT $base + i, 'bench', CASE i % 3 WHEN 0 THEN 'ingest' WHEN 1 THEN 'train'
  ELSE 'evaluate' END, 'g', 'out' || (i % 3), CASE WHEN i % 10 = 0 THEN 'prod'
  ELSE 'dev' END, CASE WHEN i % 97 = 0 THEN 'failed' ELSE 'ok' END, 0,
  1700000000000000000 + i * 1000000000, 1700000000000000000 + i * 1000000000
  + 250000000, '0123456789abcdef0123456789abcdef01234567', 'exp/bench',
  'generated', 'sha256:feed', '/plugin/bench.so',
  'c0ffee0123456789c0ffee0123456789c0ffee0123456789c0ffee0123456789', '0.1.0',
  '1.2', 'bench', 'aerohost run /plugin/bench.so -- --learning-rate 0.01', ''
FROM n;
INSERT INTO run_config (run_id, key, type, value)
SELECT id, 'learning_rate', 'double', 0.01 FROM runs WHERE project = 'bench';
INSERT INTO run_config (run_id, key, type, value)
SELECT id, 'epochs', 'int', 30 FROM runs WHERE project = 'bench';
INSERT INTO run_logs (run_id, level, message, logged_at)
SELECT id, 'info', 'generated run', started_at FROM runs WHERE project = 'bench';
WITH RECURSIVE s(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM s WHERE j < $PER_RUN - 1)
INSERT INTO metrics (run_id, key, value, step, logged_at)
SELECT r.id, 'k' || (s.j % 3), r.id * 0.001 + s.j, s.j / 3, r.started_at + s.j
FROM runs r, s WHERE r.project = 'bench' AND r.id <> $big ORDER BY r.id, s.j;
WITH RECURSIVE s(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM s WHERE j < $BIG - 1)
INSERT INTO metrics (run_id, key, value, step, logged_at)
SELECT $big, 'loss', 1.0 / (j + 1), j, 1700000000000000000 + j FROM s;
$(schema4_metrics_index)
-- what tracker-local keeps beside the points it records (docs/store.md)
INSERT INTO metric_summaries (run_id, key, count, min_value, max_value,
  last_value, last_step)
SELECT run_id, key, count(*), min(value), max(value),
  (SELECT l.value FROM metrics l WHERE l.run_id = m.run_id AND l.key = m.key
   ORDER BY l.step DESC, l.id DESC LIMIT 1), max(step)
FROM metrics m WHERE run_id IN (SELECT id FROM runs WHERE project = 'bench')
GROUP BY run_id, key;
PRAGMA user_version = 4;
COMMIT;
PRAGMA journal_mode = WAL;
SQL
gen_s=$(calc "$(date +%s.%N) - $gen_start")
points=$(sqlite3 "$db" "SELECT count(*) FROM metrics")
runs=$(sqlite3 "$db" "SELECT count(*) FROM runs")

note "writing $BLOB_MIB MiB of blobs for fsck"
chunk=64
artifact=$(sqlite3 "$db" "INSERT INTO artifacts (project, name) VALUES ('bench', 'blobs'); SELECT last_insert_rowid()")
version=$(sqlite3 "$db" "INSERT INTO versions (artifact_id, version, digest, type, mode, run_id, created_at, published)
  VALUES ($artifact, 0, 'bench', '', 'dev', $shown, 1700000000000000000, 1); SELECT last_insert_rowid()")
for ((i = 0; i < BLOB_MIB / chunk; i++)); do
  head -c $((chunk << 20)) /dev/urandom >"$bench_dir/blob"
  sha=$(sha256sum "$bench_dir/blob" | cut -d' ' -f1)
  mkdir -p "$AEROMANCY_STORE/blobs/${sha:0:2}"
  mv "$bench_dir/blob" "$AEROMANCY_STORE/blobs/${sha:0:2}/${sha:2}"
  chmod 444 "$AEROMANCY_STORE/blobs/${sha:0:2}/${sha:2}"
  touch -m -d @0 "$AEROMANCY_STORE/blobs/${sha:0:2}/${sha:2}"
  sqlite3 "$db" "INSERT INTO version_files (version_id, path, sha256, size)
    VALUES ($version, 'part-$i', '$sha', $((chunk << 20)))"
done
blob_bytes=$(sqlite3 "$db" "SELECT sum(size) FROM version_files")

note "a copy in rows for the sqlite3 shell; the upgrade of $points points to blocks"
rows_db="$bench_dir/rows.db"
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$db" "$rows_db"
upgrade_start=$(date +%s.%N)
/usr/bin/time -o "$bench_dir/upgrade.time" -f "%U %S" "$AEROMANCY" runs --limit 1 \
  >/dev/null 2>"$bench_dir/upgrade.log" || die "the upgrade failed: $(tail -1 "$bench_dir/upgrade.log")"
upgrade_cpu=$(awk '{ print $1 + $2 }' "$bench_dir/upgrade.time")
upgrade_s=$(calc "$(date +%s.%N) - $upgrade_start")
(($(sqlite3 "$db" "PRAGMA user_version") >= 5)) || die "the store was not upgraded to blocks (schema 5 or later)"
[[ $(sqlite3 "$db" "SELECT sum(count) FROM metric_blocks") == "$points" ]] ||
  die "the upgrade did not move every point into blocks"

A=$AEROMANCY
# The sqlite3 shell's equivalents: the same rows each command reads.
runs_sql="WITH page AS (SELECT * FROM runs ORDER BY id DESC LIMIT 50)
SELECT p.id, p.started_at, p.project, p.job_type, p.outputs, p.status,
  p.ended_at - p.started_at, p.git_commit, m.key, m.value
FROM page p LEFT JOIN metrics m ON m.run_id = p.id ORDER BY p.id DESC, m.key, m.step, m.id;"
show_sql="SELECT * FROM runs WHERE id = $shown;
SELECT key, value FROM run_env WHERE run_id = $shown;
SELECT key, type, value FROM run_config WHERE run_id = $shown ORDER BY key;
SELECT tag FROM run_tags WHERE run_id = $shown;
SELECT a.name, v.version, v.digest, f.path, f.sha256, f.size FROM run_inputs i
  JOIN versions v ON v.id = i.version_id JOIN artifacts a ON a.id = v.artifact_id
  JOIN version_files f ON f.version_id = v.id WHERE i.run_id = $shown;
SELECT a.name, v.version, v.digest, f.path, f.sha256, f.size FROM run_outputs o
  JOIN versions v ON v.id = o.version_id JOIN artifacts a ON a.id = v.artifact_id
  JOIN version_files f ON f.version_id = v.id WHERE o.run_id = $shown;
SELECT level, message, logged_at FROM run_logs WHERE run_id = $shown ORDER BY id;
SELECT key, count(*), min(value), max(value) FROM metrics WHERE run_id = $shown GROUP BY key;"
metrics_sql="SELECT key, step, value, logged_at FROM metrics WHERE run_id = $big ORDER BY key, step, id;"

note "runs --limit 50 and show vs sqlite3 (hyperfine)"
hf "$bench_dir/runs.json" -N --warmup 5 --runs 30 \
  "$A runs --limit 50" "sqlite3 -batch $rows_db '$runs_sql'"
hf "$bench_dir/show.json" -N --warmup 5 --runs 30 \
  "$A show $shown" "sqlite3 -batch $rows_db '$show_sql'"
note "start-up: aeromancy vs the sqlite3 shell (hyperfine, perf stat)"
hf "$bench_dir/startup.json" -N --warmup 5 --runs 50 "$A --version" \
  "sqlite3 -version"
# pstat CMD...: "page-faults task-clock-ms", means of 30 runs (perf stat),
# or "- -" without perf.
pstat() {
  command -v perf >/dev/null || { echo "- -"; return; }
  perf stat -r 30 -x, -e page-faults,task-clock "$@" 2>&1 >/dev/null |
    awk -F, '$3 == "page-faults" { f = $1 } $3 == "task-clock" { t = $1 }
      END { printf "%s %s\n", f == "" ? "-" : f, t == "" ? "-" : t }'
}
read -r up_a_pf up_a_cpu < <(pstat "$A" --version)
read -r up_b_pf up_b_cpu < <(pstat sqlite3 -version)
read -r show_a_pf show_a_cpu2 < <(pstat "$A" show "$shown")
read -r show_b_pf show_b_cpu2 < <(pstat sqlite3 -batch "$rows_db" "$show_sql")
note "metrics of the run with $BIG points vs sqlite3"
hf "$bench_dir/metrics.json" --warmup 1 --runs 5 \
  "$A metrics $big >/dev/null" "$A metrics $big --csv >/dev/null" \
  "sqlite3 -batch $rows_db '$metrics_sql' >/dev/null"
note "fsck vs openssl speed -evp sha256, openssl dgst and the sqlite3 shell"
# fsck does two things: it re-hashes the blobs and decodes the metric
# blocks (checking them against their summaries). Each is compared with
# its own reference, on a copy of the store that holds only that: blobs
# (the same folder, its database without blocks and summaries) or points
# (the same database, no version files, no blobs). The whole store's fsck
# is timed beside them.
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
hash_store=$bench_dir/store-blobs metric_store=$bench_dir/store-points
mkdir -p "$hash_store" "$metric_store/blobs"
ln -s "$AEROMANCY_STORE/blobs" "$hash_store/blobs"
cp "$db" "$hash_store/aeromancy.db" && cp "$db" "$metric_store/aeromancy.db" ||
  die "cannot copy the store"
sqlite3 "$hash_store/aeromancy.db" "PRAGMA secure_delete = OFF;
  DELETE FROM metric_blocks; DELETE FROM metric_summaries" &&
  sqlite3 "$metric_store/aeromancy.db" "DELETE FROM version_files" ||
  die "cannot make the copies of the store"
blocks_sql="SELECT count(*), sum(count), length(max(steps)), length(max(vals)),
  length(max(times)) FROM metric_blocks;
SELECT count(*), sum(count) FROM metric_summaries;"
# openssl speed divides by the CPU time it used unless -elapsed: on a shared
# machine, wall time is compared with wall time (-elapsed, measured just
# before and after fsck) and CPU time with CPU time, never one with the
# other.
openssl_speed() { # [-elapsed]: bytes/s
  openssl speed "$@" -evp sha256 -bytes 16384 -seconds 3 2>/dev/null |
    awk '$1 == "sha256" { sub(/k$/, "", $2); printf "%.0f\n", $2 * 1000 }'
}
speed=$(openssl_speed)
[[ -n $speed ]] || die "could not read openssl speed's sha256 figure"
# The blobs and both databases into the page cache, as openssl's buffer is.
for s in "$AEROMANCY_STORE" "$hash_store" "$metric_store"; do
  "$A" fsck --store "$s" >/dev/null 2>&1 || die "fsck of $s found problems"
done
blob_files=$(sqlite3 "$db" "SELECT DISTINCT sha256 FROM version_files" |
  awk -v s="$AEROMANCY_STORE/blobs" '{ printf "%s/%s/%s ", s, substr($1, 1, 2), substr($1, 3) }')
speed_wall1=$(openssl_speed -elapsed)
hf "$bench_dir/fsck.json" --warmup 0 --runs 5 "$A fsck --store $hash_store" \
  "openssl dgst -sha256 $blob_files" "$A fsck --store $metric_store" \
  "sqlite3 -batch $metric_store/aeromancy.db '$blocks_sql'" "$A fsck"
speed_wall2=$(openssl_speed -elapsed)
speed_wall=$(calc "($speed_wall1 + $speed_wall2) / 2")
blocks=$(sqlite3 "$db" "SELECT count(*) FROM metric_blocks")
# Removed now: 2 GiB of copies still being written back would slow the
# benchmark after this one.
rm -rf "$hash_store" "$metric_store"

runs_a=$(median "$bench_dir/runs.json" 0) runs_b=$(median "$bench_dir/runs.json" 1)
show_a=$(median "$bench_dir/show.json" 0) show_b=$(median "$bench_dir/show.json" 1)
met_a=$(median "$bench_dir/metrics.json" 0) met_csv=$(median "$bench_dir/metrics.json" 1)
met_b=$(median "$bench_dir/metrics.json" 2)
fsck_s=$(median "$bench_dir/fsck.json" 0)
dgst_s=$(median "$bench_dir/fsck.json" 1)
check_s=$(median "$bench_dir/fsck.json" 2)
shell_s=$(median "$bench_dir/fsck.json" 3)
whole_s=$(median "$bench_dir/fsck.json" 4)
# What fsck and openssl dgst hash: each distinct blob once.
hashed=$(sqlite3 "$db" "SELECT sum(size) FROM (SELECT DISTINCT sha256, size FROM version_files)")
cpu() { # JSON INDEX: user + system seconds (hyperfine's means)
  calc "$(median "$1" "$2" user) + $(median "$1" "$2" system)"
}
met_a_cpu=$(cpu "$bench_dir/metrics.json" 0) met_csv_cpu=$(cpu "$bench_dir/metrics.json" 1)
met_b_cpu=$(cpu "$bench_dir/metrics.json" 2)
fsck_cpu=$(cpu "$bench_dir/fsck.json" 0)
check_cpu=$(cpu "$bench_dir/fsck.json" 2)
shell_cpu=$(cpu "$bench_dir/fsck.json" 3)
whole_cpu=$(cpu "$bench_dir/fsck.json" 4)
pps=$(calc "$BIG / $met_a")
pps_csv=$(calc "$BIG / $met_csv")
pps_sql=$(calc "$BIG / $met_b")
fsck_rate=$(calc "$hashed / $fsck_s")
fsck_cpu_rate=$(calc "$hashed / $fsck_cpu")
dgst_rate=$(calc "$hashed / $dgst_s")
pct() { python3 -c "print('%.0f%%' % (100 * $1 / $2))"; }
mbs() { python3 -c "print('%.0f' % ($1 / 1e6))"; }
kpps() { python3 -c "print('{:,.0f}'.format($1))"; }

echo "## query"
echo
echo "A store of $runs runs and $points metric points (generated with SQL in ${gen_s%.*} s; one run"
echo "holds $BIG points, the others $PER_RUN) and $((blob_bytes >> 20)) MiB of blobs. Medians;"
echo "\"bare query\" is the sqlite3 shell running the equivalent SQL on a copy of the"
echo "file taken before the upgrade, its points in rows (schema 4: a row per point,"
echo "with the covering index). The upgrade of the store to blocks (schema 5, the"
echo "first aeromancy command on it) took $upgrade_s s of wall clock, $upgrade_cpu s of CPU"
echo "(user + system) for its $points points; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| what | aeromancy | bare query (sqlite3) | ratio |"
echo "|---|---|---|---|"
echo "| \`runs --limit 50\` | $(ms "$runs_a") ms | $(ms "$runs_b") ms | $(ratio "$runs_a" "$runs_b")× |"
echo "| \`show RUN\` | $(ms "$show_a") ms | $(ms "$show_b") ms | $(ratio "$show_a" "$show_b")× |"
echo "| \`metrics RUN\`, $BIG points, text | $(ms "$met_a") ms ($(kpps "$pps") points/s) | $(ms "$met_b") ms ($(kpps "$pps_sql") points/s) | $(ratio "$met_a" "$met_b")× |"
echo "| \`metrics RUN --csv\` | $(ms "$met_csv") ms ($(kpps "$pps_csv") points/s) | | $(ratio "$met_csv" "$met_b")× |"
echo "| the same, CPU time (user + system): text | $(ms "$met_a_cpu") ms ($(kpps "$(calc "$BIG / $met_a_cpu")") points/s) | $(ms "$met_b_cpu") ms | $(ratio "$met_a_cpu" "$met_b_cpu")× |"
echo "| CPU time, \`--csv\` | $(ms "$met_csv_cpu") ms ($(kpps "$(calc "$BIG / $met_csv_cpu")") points/s) | | $(ratio "$met_csv_cpu" "$met_b_cpu")× |"
echo
echo "Start-up and \`show\` (perf stat: page faults and task-clock CPU ms, means"
echo "of 30 runs; wall clock: hyperfine medians)."
echo
echo "| what | aeromancy | sqlite3 shell | ratio |"
echo "|---|---|---|---|"
up_a=$(median "$bench_dir/startup.json" 0) up_b=$(median "$bench_dir/startup.json" 1)
echo "| \`--version\` / \`-version\`, wall | $(ms "$up_a") ms | $(ms "$up_b") ms | $(ratio "$up_a" "$up_b")× |"
echo "| the same, page faults / CPU ms | $up_a_pf / $up_a_cpu | $up_b_pf / $up_b_cpu | |"
echo "| \`show RUN\` / its query, page faults / CPU ms | $show_a_pf / $show_a_cpu2 | $show_b_pf / $show_b_cpu2 | |"
echo
echo "\`fsck\` re-hashes the blobs and decodes the metric blocks; each part is"
echo "timed on a copy of the store that holds only it (the whole store's fsck"
echo "beside them: $(ms "$whole_s") ms wall, $(ms "$whole_cpu") ms CPU)."
echo
echo "Hashing, $((hashed >> 20)) MiB of blobs read from the page cache (the copy without"
echo "metric points). \`openssl speed\` hashes one buffer in memory; it reports per"
echo "CPU second, and with \`-elapsed\` per wall-clock second (measured just"
echo "before and after fsck)."
echo
echo "| what | MB/s | vs. openssl speed, like for like |"
echo "|---|---|---|"
echo "| \`fsck\`, wall clock | $(mbs "$fsck_rate") | $(pct "$fsck_rate" "$speed_wall") of \`openssl speed -elapsed\` ($(mbs "$speed_wall") MB/s) |"
echo "| \`fsck\`, per CPU second (user + system) | $(mbs "$fsck_cpu_rate") | $(pct "$fsck_cpu_rate" "$speed") of \`openssl speed\` ($(mbs "$speed") MB/s) |"
echo "| \`openssl dgst -sha256\` on the same files, wall clock | $(mbs "$dgst_rate") | $(pct "$dgst_rate" "$speed_wall") |"
echo
echo "Checking the metric points: $points points in $blocks blocks (the copy without"
echo "blobs), each block decoded and every key's points counted against its"
echo "summary; beside it the sqlite3 shell reading the same rows (every block's"
echo "three arrays whole, every summary) and checking nothing."
echo
echo "| what | time (ms) | points/s | CPU (ms, user + system) | ratio to the shell, wall / CPU |"
echo "|---|---:|---:|---:|---:|"
echo "| \`fsck\` | $(ms "$check_s") | $(kpps "$(calc "$points / $check_s")") | $(ms "$check_cpu") | $(ratio "$check_s" "$shell_s")× / $(ratio "$check_cpu" "$shell_cpu")× |"
echo "| sqlite3 shell reading the same rows | $(ms "$shell_s") | $(kpps "$(calc "$points / $shell_s")") | $(ms "$shell_cpu") | |"
echo
target "runs --limit 50 under 50 ms and within 2x of the bare query" \
  "$(python3 -c "print(1 if $runs_a < 0.05 and $runs_a <= 2 * $runs_b else 0)")"
target "show RUN under 50 ms and within 2x of the bare query" \
  "$(python3 -c "print(1 if $show_a < 0.05 and $show_a <= 2 * $show_b else 0)")"
target "metrics RUN streams 2,000,000 points/s or more" "$(python3 -c "print(1 if $pps >= 2e6 else 0)")"
target "fsck hashes at 85% or more of openssl speed -evp sha256 (wall clock vs -elapsed: $(pct "$fsck_rate" "$speed_wall"))" \
  "$(python3 -c "print(1 if $fsck_rate >= 0.85 * $speed_wall else 0)")"
echo
