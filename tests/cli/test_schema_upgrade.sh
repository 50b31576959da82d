#!/usr/bin/env bash
# Schema upgrades of the local store while other hosts use it: an upgrade
# holds SQLite's write lock for as long as it rewrites the store (seconds
# on a large one), longer than the 10 s a write otherwise waits. A host
# writing meanwhile waits for it, and reports no false failure; nothing
# recorded is lost. An upgrade while an older host uses the store at its
# version (schema.lock held shared) is refused, since it would break that
# host's writes.
. "$(dirname "$0")/../lib.sh"
# The stores are rewound to older schemas, whose blobs were all files
# (schema7_undo_sql drops inline_blobs): none is kept in the database.
export AEROMANCY_INLINE_MAX=0

PLUGIN=$AERO_FIXTURES/trk_pipeline.so
A=$AEROMANCY
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1

"$AEROHOST" run "$PLUGIN" --dev >/dev/null 2>&1 || fail "first run"
current=$(sql "PRAGMA user_version")

case_ "a host writing while an upgrade holds the store for longer than 10 s waits for it"
# The upgrade as another process runs it: upgrade.lock held, then the
# write lock, for 13 s.
rm -f "$AERO_TMP/locked"
flock -x "$AEROMANCY_STORE/upgrade.lock" sqlite3 "$AEROMANCY_STORE/aeromancy.db" \
  ".timeout 5000" "BEGIN EXCLUSIVE;" ".shell touch '$AERO_TMP/locked' && sleep 13" \
  "COMMIT;" >/dev/null 2>&1 &
upgrader=$!
wait_until 200 0.05 test -e "$AERO_TMP/locked" ||
  fail "the upgrade never took the lock"
runs_before=$(sql "SELECT count(*) FROM runs")
started=$SECONDS
run "$AEROHOST" run "$PLUGIN" --dev --force
assert_rc 0
((SECONDS - started >= 10)) || fail "the host did not wait for the upgrade"
wait "$upgrader"
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'ok'")" \
  "$((runs_before + 3))" "runs recorded ok"

case_ "without an upgrade running, a write still gives up after 10 s with one line"
rm -f "$AERO_TMP/locked"
sqlite3 "$AEROMANCY_STORE/aeromancy.db" ".timeout 5000" "BEGIN EXCLUSIVE;" \
  ".shell touch '$AERO_TMP/locked' && sleep 13" "COMMIT;" >/dev/null 2>&1 &
locker=$!
wait_until 200 0.05 test -e "$AERO_TMP/locked"
run "$AEROHOST" run "$PLUGIN" --dev --force --only ingest
assert_rc 2
assert_contains "$err" "the database stayed locked for 10 s by another process"
wait "$locker"

case_ "a real upgrade of a large store: hosts and readers started meanwhile lose nothing"
# A store of schema 3 (its metrics table, as schema 1 made it, and the
# index metrics_by_run; summaries since schema 3) with 1.5 million points:
# every later step rewrites all of them.
if [[ $(sql "SELECT type FROM sqlite_schema WHERE name = 'runs'") == view ]]; then
  sql "$(schema7_undo_sql)" || fail "turning runs back into a table"
fi
if [[ $(sql "SELECT type FROM sqlite_schema WHERE name = 'metrics'") == view ]]; then
  sql "DROP VIEW metrics" || fail "dropping the view metrics"
else
  sql "DROP TABLE metrics" || fail "dropping the table metrics"
fi
sql "DROP TABLE IF EXISTS metric_blocks; DROP TABLE IF EXISTS output_links;
     DELETE FROM metric_summaries;
     CREATE TABLE metrics (id INTEGER PRIMARY KEY,
       run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
       key TEXT NOT NULL, value REAL NOT NULL,
       step INTEGER CHECK (step IS NULL OR step >= 0),
       logged_at INTEGER NOT NULL);
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
       WHERE i < 1500000) INSERT INTO metrics (run_id, key, value, step,
       logged_at) SELECT (SELECT min(id) FROM runs), 'bulk', i * 0.5, i, i
       FROM n;
     CREATE INDEX metrics_by_run ON metrics (run_id, key, step);
     INSERT INTO metric_summaries VALUES ((SELECT min(id) FROM runs), 'bulk',
       1500000, 0.5, 750000, 750000, 1500000);
     PRAGMA user_version = 3" || fail "making a store of schema 3"
points=$(sql "SELECT count(*) FROM metrics")
runs_before=$(sql "SELECT count(*) FROM runs")
pids=()
for i in 1 2 3; do
  "$AEROHOST" run "$PLUGIN" --dev --force -- --content "during $i" \
    >"$AERO_TMP/h$i.out" 2>&1 &
  pids+=($!)
done
"$A" runs >"$AERO_TMP/reader.out" 2>&1 &
reader=$!
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || fail "host $((i + 1)) failed: $(cat "$AERO_TMP/h$((i + 1)).out")"
done
wait "$reader" || fail "the reader failed: $(cat "$AERO_TMP/reader.out")"
assert_eq "$(sql "PRAGMA user_version")" "$current"
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'ok'")" \
  "$((runs_before + 9))" "runs recorded ok"
assert_eq "$(sql "SELECT count(*) FROM metrics WHERE key = 'bulk'")" 1500000 \
  "points recorded before"
assert_eq "$(sql "SELECT count FROM metric_summaries WHERE key = 'bulk'")" 1500000 "their summary"
(($(sql "SELECT count(*) FROM metrics") > points)) || fail "the hosts' points are missing"
run "$A" fsck
assert_rc 0

case_ "a running host holds schema.lock shared: an upgrade could not take it"
start_hanging
flock -n -x "$AEROMANCY_STORE/schema.lock" true &&
  fail "schema.lock was free while a host ran"
flock -n -s "$AEROMANCY_STORE/schema.lock" true ||
  fail "schema.lock was held exclusively while a host ran"
kill "$host"
wait "$host" 2>/dev/null
flock -n -x "$AEROMANCY_STORE/schema.lock" true ||
  fail "schema.lock stayed held after the host ended"

case_ "an upgrade while an older host uses the store is refused, naming both versions"
# A store of schema 5 (before output_links) that a host of schema 5 uses:
# it holds schema.lock shared, as every host does (this shell holds it).
sql "$(schema7_undo_sql) DROP TABLE output_links; PRAGMA user_version = 5" ||
  fail "making schema 5"
old=$(sql "SELECT count(*) FROM runs")
exec {older}>"$AEROMANCY_STORE/schema.lock"
flock -s "$older"
run "$AEROHOST" run "$PLUGIN" --dev --force
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "$AEROMANCY_STORE/aeromancy.db: schema version 5 is in use by another process"
assert_contains "$err" "this one needs version $current"
run "$A" runs
assert_rc 2
assert_contains "$err" "schema version 5 is in use by another process"
# Untouched: the older host's writes (to its schema) go on.
assert_eq "$(sql "PRAGMA user_version")" 5
sql "INSERT INTO runs (project, job_type, mode, status, started_at)
     VALUES ('older', 'write', 'dev', 'ok', 1)" ||
  fail "the older host's write failed"
exec {older}>&-
run "$AEROHOST" run "$PLUGIN" --dev --force
assert_rc 0
assert_eq "$(sql "PRAGMA user_version")" "$current"
assert_eq "$(sql "SELECT count(*) FROM runs")" "$((old + 1 + 3))"
run "$A" fsck
assert_rc 0

case_ "a host that opens the store while a newer one upgrades it waits, then refuses"
# The newer one holds schema.lock exclusively until its upgrade committed.
rm -f "$AERO_TMP/locked"
flock -x "$AEROMANCY_STORE/schema.lock" sh -c "touch '$AERO_TMP/locked';
  sleep 1; sqlite3 '$AEROMANCY_STORE/aeromancy.db' 'PRAGMA user_version = 99'" &
newer=$!
wait_until 100 0.05 test -e "$AERO_TMP/locked" || fail "the upgrade never started"
run "$AEROHOST" run "$PLUGIN" --dev --force
wait "$newer"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "schema version 99 is not the one this tracker-local understands ($current)"

case_ "a dry run on a store it cannot read says why and plans nothing"
# It planned every action as run, as if nothing were recorded, exit 0.
run "$AEROHOST" run "$PLUGIN" --dev --dry-run
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "schema version 99 is not the one this tracker-local understands ($current)"
assert_eq "$out" ""
sql "PRAGMA user_version = $current"
# No store at all: nothing recorded, so every action would run.
run env AEROMANCY_STORE="$AERO_TMP/no-store-here" "$AEROHOST" run "$PLUGIN" --dev --dry-run
assert_rc 0
assert_contains "$out" "to run, 0 skipped"
[[ ! -e $AERO_TMP/no-store-here ]] || fail "a dry run created a store"

case_ "a store changed under a running host by a program without the lock: its failure names both versions"
# The sqlite3 shell takes no schema.lock: it turns version_files into a
# view, as a newer schema might, while ingest sleeps before declaring.
"$AEROHOST" run "$PLUGIN" --dev --force --only ingest -- --sleep-ms 1500 \
  --content "new content, new version_files rows" \
  >"$AERO_TMP/out" 2>"$AERO_TMP/err" &
host=$!
running() { [[ -n $(sql "SELECT id FROM runs WHERE status = 'running'") ]]; }
wait_until 100 0.05 running || fail "ingest never started"
newer=$((current + 1))
sql "ALTER TABLE version_files RENAME TO version_files_$newer;
     CREATE VIEW version_files AS SELECT * FROM version_files_$newer;
     PRAGMA user_version = $newer" || fail "changing the schema"
wait "$host"
rc=$?
err=$(cat "$AERO_TMP/err")
# The small output's rows are written with the run's end (docs/store.md,
# "Versions"): recording the run fails, a store failure (exit 2).
assert_rc 2
assert_contains "$err" "recording the run failed: "
assert_contains "$err" "cannot modify version_files because it is a view (another program changed the store to schema version $newer while this one, at version $current, used it)"

done_
