#!/usr/bin/env bash
# The team store (tracker-postgres) through aerohost, against a real
# PostgreSQL 15 and s3rver started here: a pipeline recorded in the
# database with its blobs in the bucket, content addresses verified,
# identical content not a new version, dev and production apart, reads
# served from the local cache, credentials never recorded or printed, and
# one-line errors naming the server.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../servers.sh"

PLUGIN="$AERO_FIXTURES/trk_pipeline.so"
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1
aero_team_start
AERO_PG_URL_MAIN=$AERO_PG_URL
q() { aero_psql "$1"; }

# schema5_undo_sql: SQL that turns a database of schema 5 back into the
# shape of schema 4: no index on run_inputs by version nor on versions by
# run.
schema5_undo_sql() {
  echo "DROP INDEX run_inputs_by_version; DROP INDEX versions_by_run;"
  echo "UPDATE aero_schema SET version = 4;"
}

# schema4_undo_sql: SQL that turns a database of schema 5 back into the
# shape of schema 3: no index on runs.reused_run.
schema4_undo_sql() {
  schema5_undo_sql
  echo "DROP INDEX runs_by_reused_run;"
  echo "UPDATE aero_schema SET version = 3;"
}

# schema3_undo_sql: SQL that turns a database of schema 5 back into the
# shape of schema 2: run_outputs a table again, each reused run holding a
# copy of the outputs of the run it reuses.
schema3_undo_sql() {
  schema4_undo_sql
  echo "DROP VIEW run_outputs;"
  echo "ALTER TABLE run_own_outputs RENAME TO run_outputs;"
  echo "INSERT INTO run_outputs SELECT r.id, o.version_id FROM runs r JOIN"
  echo "  run_outputs o ON o.run_id = r.reused_run ON CONFLICT DO NOTHING;"
  echo "UPDATE aero_schema SET version = 2;"
}

case_ pipeline_recorded
run "$AEROHOST" run "$PLUGIN" --dev
assert_rc 0
assert_eq "$(q "SELECT string_agg(job_type || ':' || status || ':' || mode, ' '
  ORDER BY id) FROM runs")" "ingest:ok:dev train:ok:dev evaluate:ok:dev"
assert_eq "$(q "SELECT string_agg(name || ':v' || version, ' ' ORDER BY name)
  FROM artifact_versions")" "model:v0 raw:v0 report:v0"
assert_eq "$(q "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id
  WHERE r.job_type = 'train' AND m.step IS NOT NULL")" 3 "train's metric steps"
assert_eq "$(q "SELECT count(*) FROM run_inputs")" 2 "lineage"
assert_eq "$(q "SELECT count(*) FROM versions WHERE published = 0")" 0
assert_eq "$(q "SELECT count(*) FROM leases")" 0 "lease dropped at exit"

case_ blobs_are_content_addresses
# Every file of every version is an object named by its SHA-256, whose
# bytes have that SHA-256.
n=0
while IFS='|' read -r hash size; do
  n=$((n + 1))
  obj="$AERO_S3_DIR/data/$AERO_S3_BUCKET/team/blobs/${hash:0:2}/${hash:2}._S3rver_object"
  [[ -f $obj ]] || { fail "blob $hash is not in the bucket"; continue; }
  assert_eq "$(sha256sum "$obj" | cut -d' ' -f1)" "$hash" "blob content"
  assert_eq "$(stat -c %s "$obj")" "$size" "blob size"
done < <(q "SELECT sha256, size FROM version_files")
assert_eq "$n" 3 "files recorded"
raw=$(q "SELECT version_id FROM artifact_versions WHERE name = 'raw'")
view=$(find "$AEROMANCY_CACHE/views" -mindepth 2 -maxdepth 2 -name "$raw")
assert_eq "$(cat "$view/raw.txt")" hello "materialized from the cache"
assert_eq "$(stat -c %a "$view/raw.txt")" 444

case_ a_cached_view_written_to_is_built_again
# An action running as root may write to its input: the cached view's
# file and its blob change. The next read notices the broken seal (no
# request while it holds), hashes the blob, downloads it again and reads
# the version's content, not the damaged bytes.
assert_eq "$(stat -c %Y "$view/raw.txt")" 0 "a cached blob is sealed"
printf 'HELLO' >"$view/raw.txt"
run "$AEROHOST" run "$PLUGIN" --dev --force --only train
assert_rc 0
assert_eq "$(cat "$view/raw.txt")" hello "the view built again"
assert_eq "$(q "SELECT count(*) FROM artifact_versions WHERE name =
  'model'")" 1 "train read hello: the same model, no new version"

case_ identical_content_is_no_new_version
before=$(aero_s3_objects | wc -l)
run "$AEROHOST" run "$PLUGIN" --dev
assert_rc 0
assert_eq "$(q "SELECT count(*) FROM artifact_versions")" 3
assert_eq "$(aero_s3_objects | wc -l)" "$before" "nothing uploaded twice"
run "$AEROHOST" run "$PLUGIN" --dev -- --content changed
assert_rc 0
assert_eq "$(q "SELECT max(version) FROM artifact_versions WHERE name =
  'raw'")" 1

case_ damaged_file_row_refused
# A view is written under the names its version's rows give: a row whose
# name leads out ('..') is refused in one line, and nothing is written
# outside the view (here: the cache's own folder).
path=$(q "SELECT f.path FROM version_files f JOIN artifact_versions v ON
  v.version_id = f.version_id WHERE v.name = 'raw' AND v.version = 1")
vid=$(q "SELECT version_id FROM artifact_versions WHERE name = 'raw' AND
  version = 1")
q "UPDATE version_files SET path = '../../escaped' WHERE version_id = $vid" >/dev/null
run env AEROMANCY_CACHE="$AERO_TMP/cache-escape" "$AEROHOST" run "$PLUGIN" \
  --dev --force --only train
q "UPDATE version_files SET path = '$path' WHERE version_id = $vid" >/dev/null
assert_rc 1
assert_contains "$err" "version $vid is damaged: the name of its file '../../escaped' has an empty, '.' or '..' part"
[[ ! -e $AERO_TMP/cache-escape/escaped ]] || fail "a file was written outside the view"

case_ cached_reads_make_no_request
# raw:v1 was read by train from the cache: with its blob gone from the
# bucket, reading it again still works, from the cache alone.
hash=$(q "SELECT f.sha256 FROM version_files f JOIN artifact_versions v ON
  v.version_id = f.version_id WHERE v.name = 'raw' AND v.version = 1")
rm -f "$AERO_S3_DIR/data/$AERO_S3_BUCKET/team/blobs/${hash:0:2}/${hash:2}"*
run "$AEROHOST" run "$PLUGIN" --dev --force --only train
assert_rc 0
assert_contains "$out$err" "trained on trk/raw:v1"

case_ blob_deleted_from_bucket
# Without the cache the same read fails, one line naming the server and
# the blob; nothing recorded is lost.
runs_before=$(q "SELECT count(*) FROM runs WHERE status = 'ok'")
run env AEROMANCY_CACHE="$AERO_TMP/cache2" "$AEROHOST" run "$PLUGIN" --dev \
  --force --only train
assert_rc 1
assert_contains "$err" "S3 server $AERO_S3_URL (bucket $AERO_S3_BUCKET)"
assert_contains "$err" "blob ${hash:0:16}... is missing from the bucket"
assert_eq "$(q "SELECT count(*) FROM runs WHERE status = 'ok'")" "$runs_before"
assert_eq "$(q "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" failed
# Declaring the same content again uploads the blob again.
run "$AEROHOST" run "$PLUGIN" --dev --only ingest -- --content changed
assert_rc 0
[[ -f "$AERO_S3_DIR/data/$AERO_S3_BUCKET/team/blobs/${hash:0:2}/${hash:2}._S3rver_object" ]] ||
  fail "the blob was not uploaded again"

case_ dev_and_production_apart
prod=(env AEROMANCY_GIT_COMMIT=abc AEROMANCY_IMAGE_ID=img)
run "${prod[@]}" "$AEROHOST" run "$PLUGIN" --only train
assert_rc 1
assert_contains "$err" "has only dev versions"
run "${prod[@]}" "$AEROHOST" run "$PLUGIN"
assert_rc 0
assert_eq "$(q "SELECT string_agg(mode || ':v' || version, ' ' ORDER BY version)
  FROM artifact_versions WHERE name = 'raw'")" "dev:v0 dev:v1 prod:v2"

case_ credentials_never_recorded
# A password in the URL and the S3 secret (s3rver does not check it): in
# no table, no message, also with --debug.
AERO_PG_PW_URL="postgresql://$AERO_PG_USER:pg-s3cret-pw@/aero?host=$AERO_PG_DIR"
run env AEROMANCY_STORE="$AERO_PG_PW_URL" AWS_SECRET_ACCESS_KEY=s3-s3cret-key \
  "$AEROHOST" run "$PLUGIN" --dev --debug -- --content creds
assert_rc 0
assert_not_contains "$out$err" s3cret
assert_contains "$err" "in postgresql://$AERO_PG_USER@/aero?host=$AERO_PG_DIR"
run env AEROMANCY_STORE="host=$AERO_PG_DIR dbname=aero password=pg-s3cret-pw \
  user=$AERO_PG_USER" "$AEROHOST" run "$PLUGIN" --dev -- --content words
assert_rc 0
assert_not_contains "$out$err" s3cret
assert_contains "$err" "in host=$AERO_PG_DIR dbname=aero user=$AERO_PG_USER"
# Given with --store (and --store=), the store is on the recorded command
# line: there without its password.
run "$AEROHOST" run "$PLUGIN" --dev --store "$AERO_PG_PW_URL" -- --content flag
assert_rc 0
assert_not_contains "$out$err" s3cret
run "$AEROHOST" run "$PLUGIN" --dev \
  "--store=host=$AERO_PG_DIR dbname=aero password=pg-s3cret-pw user=$AERO_PG_USER" \
  -- --content flag2
assert_rc 0
assert_contains "$(q "SELECT string_agg(command_line, ' ') FROM runs")" "--store"
"$AERO_PG_BIN/pg_dump" -h "$AERO_PG_DIR" -U "$AERO_PG_USER" aero \
  >"$AERO_TMP/dump.sql"
assert_contains "$(cat "$AERO_TMP/dump.sql")" creds
assert_not_contains "$(cat "$AERO_TMP/dump.sql")" s3cret
run env AEROMANCY_STORE="postgresql://u:pg-s3cret-pw@/aero?host=$AERO_TMP/nowhere" \
  "$AEROHOST" run "$PLUGIN" --dev
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "postgres $AERO_TMP/nowhere/aero: cannot connect"
assert_not_contains "$err" pg-s3cret-pw

case_ server_older_than_11_refused
# gc turns JIT off for its transaction (collect.c), a setting PostgreSQL
# has since 11: an older server is refused when the store is opened, in
# one line naming its version, by writers and readers alike. A stand-in
# that says its version (tests/pg_old_server.py) and fails every query.
for version in 10.23 9.6.24; do
  old=$AERO_TMP/pg-$version
  mkdir -p "$old"
  python3 "$AERO_SOURCE_DIR/tests/pg_old_server.py" "$old" "$version" \
    2>"$old.log" &
  stand_in=$!
  wait_until 100 0.05 test -S "$old/.s.PGSQL.5432"
  # aerohost's exit code for a store it cannot open, then aeromancy's.
  for cmd in "3 $AEROHOST run $PLUGIN --dev" "2 $AEROMANCY runs"; do
    run env AEROMANCY_STORE="postgresql://$AERO_PG_USER@/aero?host=$old" \
      ${cmd#* }
    assert_rc "${cmd%% *}"
    assert_one_line "$err"
    assert_contains "$err" "postgres $old/aero: the server is PostgreSQL $version; tracker-postgres needs PostgreSQL 11 or newer"
  done
  kill "$stand_in"
  wait "$stand_in" 2>/dev/null
done

case_ settings_from_aeromancy_ini
# [store] backend, url and blobs, with none of the variables set.
mkdir -p "$AERO_TMP/proj"
printf '[store]\nbackend = postgres\nurl = %s\nblobs = s3://%s/from-ini\n' \
  "$AERO_PG_URL" "$AERO_S3_BUCKET" >"$AERO_TMP/proj/aeromancy.ini"
before=$(q "SELECT count(*) FROM runs")
(cd "$AERO_TMP/proj" && env -u AEROMANCY_BACKEND -u AEROMANCY_STORE \
  -u AEROMANCY_BLOBS "$AEROHOST" run "$PLUGIN" --dev -- --content ini \
  >"$AERO_TMP/ini.out" 2>&1) || fail "run from aeromancy.ini: $(cat "$AERO_TMP/ini.out")"
assert_eq "$(q "SELECT count(*) FROM runs")" $((before + 3))
hash=$(printf ini | sha256sum | cut -d' ' -f1)
[[ -f "$AERO_S3_DIR/data/$AERO_S3_BUCKET/from-ini/blobs/${hash:0:2}/${hash:2}._S3rver_object" ]] ||
  fail "the blob is not under the prefix of [store] blobs"

case_ schema_migrated_from_version_1
# A database as version 1 left it (before reuse): opening it migrates it
# in place, keeping what it holds; a newer version is refused in one line.
aero_team_new_store oldschema
run "$AEROHOST" run "$PLUGIN" --dev -- --content old
assert_rc 0
q "$(schema3_undo_sql) DROP TABLE run_keys; ALTER TABLE runs DROP COLUMN reused_run;
   ALTER TABLE runs DROP CONSTRAINT runs_status_check;
   ALTER TABLE runs ADD CONSTRAINT runs_status_check CHECK (status IN
   ('running', 'ok', 'failed', 'crashed', 'timed_out', 'killed', 'skipped',
   'bailed')); UPDATE aero_schema SET version = 1" >/dev/null
assert_eq "$(q "SELECT to_regclass('run_keys') IS NULL")" t
run "$AEROHOST" run "$PLUGIN" --dev -- --content old
assert_rc 0
assert_eq "$(q "SELECT version FROM aero_schema")" 5
# The old runs are kept; having no reuse keys they are not reused, but the
# runs made since are.
assert_eq "$(q "SELECT count(*) FROM runs WHERE status = 'ok'")" 6 "old runs kept"
run "$AEROHOST" run "$PLUGIN" --dev -- --content old
assert_rc 0
assert_eq "$(q "SELECT count(*) FROM runs WHERE status = 'reused'")" 3 \
  "the migrated store reuses"
# aeromancy show names the run a reused run stands for (the query members).
reused=$(q "SELECT max(id) FROM runs WHERE status = 'reused'")
run "$AEROMANCY" show "$reused" --json
assert_rc 0
assert_eq "$(jq -r '.reused_run' <<<"$out")" \
  "$(q "SELECT reused_run FROM runs WHERE id = $reused")"
assert_not_contains "$(jq -r '.reused_run' <<<"$out")" null
q "UPDATE aero_schema SET version = 6" >/dev/null
run "$AEROHOST" run "$PLUGIN" --dev -- --content newer
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "schema version 6 is not the one this tracker-postgres understands (5)"

case_ reused_outputs_implied_and_migrated_from_version_2
# Schema 3: a reused run holds the outputs of the run it reuses through
# the view run_outputs, without rows of its own. A version 2 database,
# where they were copies in the table run_outputs, is migrated: the copies
# go, and show and lineage answer as before.
aero_team_new_store schema2
run "$AEROHOST" run "$PLUGIN" --dev -- --content two
assert_rc 0
run "$AEROHOST" run "$PLUGIN" --dev -- --content two
assert_rc 0
assert_contains "$err" "0 ok, 3 reused"
assert_eq "$(q "SELECT count(*) FROM run_own_outputs o JOIN runs r ON
  r.id = o.run_id WHERE r.status = 'reused'")" 0 "a reused run's own rows"
assert_eq "$(q "SELECT count(*) FROM run_outputs o JOIN runs r ON
  r.id = o.run_id WHERE r.status = 'reused'")" 3 "a reused run's outputs"
# outputs_of RUN: its outputs as aeromancy show --json gives them (nothing
# when show fails).
outputs_of() {
  "$AEROMANCY" show "$1" --json | jq -c '[.outputs[] | .ref]'
}
# down_of REF: each run lineage --down finds from REF, with its outputs.
down_of() {
  "$AEROMANCY" lineage "$1" --down --format json |
    jq -c '[.runs[] | {id, status, outputs}] | sort_by(.id)'
}
train=$(q "SELECT max(id) FROM runs WHERE job_type = 'train'")
evaluate=$(q "SELECT max(id) FROM runs WHERE job_type = 'evaluate'")
assert_eq "$(q "SELECT status FROM runs WHERE id = $train")" reused
proj=$(q "SELECT project FROM artifacts WHERE name = 'raw'")
assert_eq "$(outputs_of "$train")" "[\"$proj/model:v0\"]"
raw=$proj/raw:v0
down=$(down_of "$raw")
assert_eq "$(jq -r "[.[] | select(.id == $train) | .outputs[]] | join(\" \")" \
  <<<"$down")" "$proj/model:v0" "lineage --down: the reused train's output"
before_train=$(outputs_of "$train") before_evaluate=$(outputs_of "$evaluate")
pairs=$(q "SELECT string_agg(run_id || ':' || version_id, ' ' ORDER BY
  run_id, version_id) FROM run_outputs")
# Back to version 2, and a reused run's row that its reused run does not
# hold (not a copy: the migration keeps it).
q "$(schema3_undo_sql)" >/dev/null
assert_eq "$(q "SELECT count(*) FROM run_outputs")" 6 "copies at version 2"
q "INSERT INTO run_outputs SELECT $evaluate, id FROM versions WHERE
   artifact_id = (SELECT id FROM artifacts WHERE name = 'raw')" >/dev/null
run "$AEROMANCY" show "$train" --json
assert_rc 0
assert_eq "$(q "SELECT version FROM aero_schema")" 5
assert_eq "$(q "SELECT count(*) FROM pg_views WHERE viewname = 'run_outputs'")" 1
# What a host of version 2 still connected would write fails.
assert_contains "$(q "INSERT INTO run_outputs VALUES ($train, 1)" 2>&1)" \
  'cannot insert into view "run_outputs"'
assert_eq "$(q "SELECT count(*) FROM run_own_outputs o JOIN runs r ON
  r.id = o.run_id WHERE r.status = 'reused'")" 1 "copies left"
assert_eq "$(q "SELECT string_agg(run_id || ':' || version_id, ' ' ORDER BY
  run_id, version_id) FROM run_outputs WHERE NOT (run_id = $evaluate AND
  version_id IN (SELECT version_id FROM artifact_versions WHERE name =
  'raw'))")" \
  "$pairs" "every run's outputs, as before"
assert_eq "$(outputs_of "$train")" "$before_train"
assert_eq "$(outputs_of "$evaluate")" \
  "$(jq -c --arg r "$raw" '. + [$r] | sort' <<<"$before_evaluate")"
assert_eq "$(down_of "$raw")" \
  "$(jq -c --arg r "$raw" --argjson e "$evaluate" 'map(if .id == $e then
  .outputs += [$r] | .outputs |= sort else . end)' <<<"$down")" "lineage --down"
# A reused run recorded after the migration writes no row of its own.
run "$AEROHOST" run "$PLUGIN" --dev -- --content two
assert_rc 0
assert_contains "$err" "0 ok, 3 reused"
assert_eq "$(q "SELECT count(*) FROM run_own_outputs o JOIN runs r ON
  r.id = o.run_id WHERE r.status = 'reused'")" 1 "a new reused run's rows"
new_train=$(q "SELECT max(id) FROM runs WHERE job_type = 'train'")
assert_eq "$(outputs_of "$new_train")" "[\"$proj/model:v0\"]"

case_ reused_run_indexed_from_version_3
# Schema 4: runs.reused_run is indexed, for the foreign key's look-up of
# each run gc deletes. A version 3 database gets the index when opened.
index_of_reused_run() {
  q "SELECT indexdef FROM pg_indexes WHERE indexname = 'runs_by_reused_run'"
}
assert_contains "$(index_of_reused_run)" \
  "ON public.runs USING btree (reused_run) WHERE (reused_run IS NOT NULL)"
q "$(schema4_undo_sql)" >/dev/null
assert_eq "$(index_of_reused_run)" ""
run "$AEROMANCY" show "$new_train" --json
assert_rc 0
assert_eq "$(q "SELECT version FROM aero_schema")" 5
assert_contains "$(index_of_reused_run)" \
  "ON public.runs USING btree (reused_run) WHERE (reused_run IS NOT NULL)"
assert_contains "$(q "SET enable_seqscan = off; EXPLAIN SELECT 1 FROM runs
  WHERE reused_run = $train")" "Index Cond: (reused_run = $train)"

case_ inputs_and_versions_indexed_from_version_4
# Schema 5: run_inputs by version and versions by run, for the foreign
# keys of the runs and versions gc deletes (test_teamstore_gc bounds what
# they cost). A version 4 database gets both when opened.
indexes_of_gc() {
  q "SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes
     WHERE indexname IN ('run_inputs_by_version', 'versions_by_run')"
}
both="CREATE INDEX run_inputs_by_version ON public.run_inputs USING btree (version_id); CREATE INDEX versions_by_run ON public.versions USING btree (run_id)"
assert_eq "$(indexes_of_gc)" "$both"
q "$(schema5_undo_sql)" >/dev/null
assert_eq "$(indexes_of_gc)" ""
run "$AEROMANCY" show "$new_train" --json
assert_rc 0
assert_eq "$(q "SELECT version FROM aero_schema")" 5
assert_eq "$(indexes_of_gc)" "$both"
export AERO_PG_DB=aero AEROMANCY_STORE=$AERO_PG_URL_MAIN
export AEROMANCY_BLOBS=s3://$AERO_S3_BUCKET/team

case_ views_apart_past_a_long_host_list
# The cache names each database's views by a hash of its whole server name
# and bucket: two databases behind one host list longer than the 255 bytes
# that messages keep (both database names past that cut) each read their
# own views, never the other's under the same version ids.
hosts=$AERO_PG_DIR
while ((${#hosts} < 300)); do hosts+=",$AERO_PG_DIR"; done
for db in long_hosts_a long_hosts_b; do
  aero_team_new_store "$db"
  run env AEROMANCY_CACHE="$AERO_TMP/cache-long-hosts" \
    AEROMANCY_STORE="postgresql://$AERO_PG_USER@/$db?host=$hosts" \
    "$AEROHOST" run "$PLUGIN" --dev -- --content "$db"
  assert_rc 0
done
model=$(q "SELECT f.sha256 FROM version_files f JOIN artifact_versions v ON
  v.version_id = f.version_id WHERE v.name = 'model'")
assert_eq "$(cat "$(aero_team_blob "$model")")" \
  "model of long_hosts_b (from trk/raw:v0)" "train read its own database's raw"
assert_eq "$(find "$AERO_TMP/cache-long-hosts/views" -mindepth 1 -maxdepth 1 |
  wc -l)" 2 "one folder of views per database"
export AERO_PG_DB=aero AEROMANCY_STORE=$AERO_PG_URL_MAIN
export AEROMANCY_BLOBS=s3://$AERO_S3_BUCKET/team

case_ views_apart_for_a_database_made_again
# A database dropped and made again under the same name (and the same
# bucket prefix) numbers its versions from 1 again: the cache must not
# serve the old database's view of version 1 for the new one's.
for content in first second; do
  if [[ $content == second ]]; then
    aero_pg_as "$AERO_PG_BIN/dropdb" -h "$AERO_PG_DIR" -U "$AERO_PG_USER" remade ||
      fail "dropdb remade"
  fi
  aero_team_new_store remade
  run env AEROMANCY_CACHE="$AERO_TMP/cache-remade" "$AEROHOST" run "$PLUGIN" \
    --dev -- --content "$content"
  assert_rc 0
  run env AEROMANCY_CACHE="$AERO_TMP/cache-remade" "$AEROMANCY" path trk/raw:v0
  assert_rc 0
  assert_eq "$(cat "$out"/*)" "$content" "raw:v0 of the database made $content"
done
export AERO_PG_DB=aero AEROMANCY_STORE=$AERO_PG_URL_MAIN
export AEROMANCY_BLOBS=s3://$AERO_S3_BUCKET/team

case_ empty_database_is_no_store_to_readers
# A database nobody recorded in (or the wrong one named): readers and
# fsck say so in one line, exit 3, as for a local folder without a
# store, and create no schema in it; the first host to run creates it.
aero_team_new_store empty_db
for cmd in runs fsck "show 1"; do
  # shellcheck disable=SC2086 # the command's words
  run "$AEROMANCY" $cmd
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "no store at postgres "
  assert_contains "$err" "empty_db: its database holds no aeromancy record"
done
assert_eq "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" \
  0 "no schema made by a reader"
run "$AEROHOST" run "$PLUGIN" --dev --only ingest
assert_rc 0
run "$AEROMANCY" runs
assert_rc 0
export AERO_PG_DB=aero AEROMANCY_STORE=$AERO_PG_URL_MAIN
export AEROMANCY_BLOBS=s3://$AERO_S3_BUCKET/team

case_ bad_settings_one_line
run env AEROMANCY_BLOBS=bucket-without-scheme "$AEROHOST" run "$PLUGIN" --dev
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "'bucket-without-scheme' is not s3://bucket[/prefix]"
run env -u AEROMANCY_BLOBS "$AEROHOST" run "$PLUGIN" --dev
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "set AEROMANCY_BLOBS"
run env AEROMANCY_STORE="$AERO_TMP/a-folder" "$AEROHOST" run "$PLUGIN" --dev
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "is not a PostgreSQL connection string"
# A cache folder too long to hold its views' and blobs' paths under
# PATH_MAX (cut, a view's path would name another version's view).
long_cache=$AERO_TMP/$(printf 'c%.0s' {1..200})
for _ in 1 2 3 4 5; do long_cache+=/$(printf 'c%.0s' {1..200}); done
run env AEROMANCY_CACHE="$long_cache" "$AEROHOST" run "$PLUGIN" --dev
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "cache folder ${long_cache:0:60}... (\$AEROMANCY_CACHE) is longer than 1024 bytes"
# Numbers from the environment: a typo or "inf" is refused, named (it was
# the default without a word; inf made an undefined cast and endless
# retries).
for setting in AEROMANCY_S3_PART_MB=64M AEROMANCY_S3_RETRY_SECONDS=inf \
  AEROMANCY_PG_RETRY_SECONDS=-1 AEROMANCY_CACHE_MAX_MB=1e400; do
  run env "$setting" "$AEROHOST" run "$PLUGIN" --dev
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "tracker-postgres: ${setting%%=*} is '${setting#*=}', not a number from 0 to"
done
# The bucket refusing an output is the store's failure: exit 2.
run env AWS_ENDPOINT_URL=http://127.0.0.1:1 AEROMANCY_S3_RETRY_SECONDS=0 \
  "$AEROHOST" run "$PLUGIN" --dev -- --content unreachable
assert_rc 2
assert_contains "$err" "S3 server http://127.0.0.1:1 (bucket $AERO_S3_BUCKET)"
run env AWS_ACCESS_KEY_ID=NOSUCHKEY "$AEROHOST" run "$PLUGIN" --dev -- \
  --content badkey
assert_rc 2
assert_contains "$err" "HTTP 403 (access denied: check AWS_ACCESS_KEY_ID"
# So is a bucket that does not exist (a 404 of the bucket, not of a blob:
# it answered exit 1, as an action's own failure).
run env AEROMANCY_BLOBS=s3://nosuchbucket/team "$AEROHOST" run "$PLUGIN" \
  --dev -- --content nobucket
assert_rc 2
assert_contains "$err" "NoSuchBucket"

done_
