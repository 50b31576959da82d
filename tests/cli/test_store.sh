#!/usr/bin/env bash
# The local store through aerohost: where it is (flag, environment,
# aeromancy.ini, XDG default), its layout, concurrent aerohost processes on
# one store, kill -9 in the middle of a run, and the one-line errors for a
# corrupt database and an unusable folder.
. "$(dirname "$0")/../lib.sh"
# This script is about blob files: none is kept in the database
# (test_inline_blobs.sh covers those).
export AEROMANCY_INLINE_MAX=0

PLUGIN="$AERO_FIXTURES/trk_pipeline.so"
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1

db_of() { sqlite3 -batch -noheader "$1/aeromancy.db" "$2"; }

case_ location_precedence
mkdir -p "$AERO_TMP/proj"
printf '[store]\npath = from-ini\n' >"$AERO_TMP/proj/aeromancy.ini"
(cd "$AERO_TMP/proj" && env -u AEROMANCY_STORE "$AEROHOST" run "$PLUGIN" \
  --dev --only ingest >/dev/null 2>&1)
assert_eq "$(db_of "$AERO_TMP/proj/from-ini" "SELECT count(*) FROM runs")" 1
(cd "$AERO_TMP/proj" && AEROMANCY_STORE="$AERO_TMP/from-env" "$AEROHOST" run \
  "$PLUGIN" --dev --only ingest >/dev/null 2>&1)
assert_eq "$(db_of "$AERO_TMP/from-env" "SELECT count(*) FROM runs")" 1
(cd "$AERO_TMP/proj" && AEROMANCY_STORE="$AERO_TMP/from-env" "$AEROHOST" run \
  "$PLUGIN" --dev --only ingest --store "$AERO_TMP/from-flag" >/dev/null 2>&1)
assert_eq "$(db_of "$AERO_TMP/from-flag" "SELECT count(*) FROM runs")" 1
assert_eq "$(db_of "$AERO_TMP/from-env" "SELECT count(*) FROM runs")" 1
env -u AEROMANCY_STORE "$AEROHOST" run "$PLUGIN" --dev --only ingest \
  >/dev/null 2>&1
assert_eq "$(db_of "$HOME/.local/share/aeromancy" "SELECT count(*) FROM
  runs")" 1
env -u AEROMANCY_STORE XDG_DATA_HOME="$AERO_TMP/xdg" "$AEROHOST" run \
  "$PLUGIN" --dev --only ingest >/dev/null 2>&1
assert_eq "$(db_of "$AERO_TMP/xdg/aeromancy" "SELECT count(*) FROM runs")" 1

case_ empty_store_location_is_refused
# `--store "$UNSET"` is a mistake, not "the default": every command that
# takes a store refuses it in one line and touches no store (here the one
# AEROMANCY_STORE names, which the default would be).
AEROMANCY_STORE="$AERO_TMP/env-store" "$AEROHOST" run "$PLUGIN" --dev \
  --only ingest >/dev/null 2>&1
before=$(db_of "$AERO_TMP/env-store" "SELECT count(*) FROM runs")
for cmd in "$AEROHOST run $PLUGIN --dev --only ingest --store" \
  "$AEROMANCY runs --store" "$AEROMANCY ui --port 0 --store" \
  "$AEROMANCY store copy $AERO_TMP/env-store" "$AEROMANCY go --dev --store"; do
  # shellcheck disable=SC2086 # the command's words
  run timeout -s KILL 60 env AEROMANCY_STORE="$AERO_TMP/env-store" $cmd ""
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" \
    "the store location given is empty: name a folder or a URL"
done
run env AEROMANCY_STORE="$AERO_TMP/env-store" "$AEROMANCY" store copy "" \
  "$AERO_TMP/env-store"
assert_rc 3
assert_contains "$err" "the store location given is empty"
assert_eq "$(db_of "$AERO_TMP/env-store" "SELECT count(*) FROM runs")" \
  "$before"

case_ backend_exports_only_its_entry
assert_eq "$(nm -D --defined-only "$AEROMANCY_PLUGIN_PATH/tracker-local.so" |
  awk '$2 ~ /^[A-Z]$/ && $2 != "W" && $2 != "V" {print $3}')" \
  aero_plugin_entry

case_ layout_and_read_only_files
run "$AEROHOST" run "$PLUGIN" --dev
assert_rc 0
assert_eq "$(sql "PRAGMA journal_mode")" wal
assert_eq "$(sql "PRAGMA user_version")" 10
for blob in "$AEROMANCY_STORE"/blobs/*/*; do
  name="$(basename "$(dirname "$blob")")$(basename "$blob")"
  assert_eq "$(sha256sum "$blob" | cut -d' ' -f1)" "$name" "blob name"
  assert_eq "$(stat -c %a "$blob")" 444 "blob mode"
done
view=$(sql "SELECT version_id FROM artifact_versions WHERE name = 'raw'")
assert_eq "$(cat "$AEROMANCY_STORE/views/$view/raw.txt")" hello
assert_eq "$(stat -c %a "$AEROMANCY_STORE/views/$view/raw.txt")" 444
assert_eq "$(find "$AEROMANCY_STORE/tmp" -mindepth 1 | wc -l)" 0 \
  "scratch folders removed"

case_ concurrent_aerohost_processes
export AEROMANCY_STORE="$AERO_TMP/shared"
pids=()
for i in 1 2 3 4 5; do
  "$AEROHOST" run "$PLUGIN" --dev -- --content "content $i" \
    >"$AERO_TMP/c$i.out" 2>&1 &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || fail "aerohost $i failed: $(cat "$AERO_TMP/c$((i + 1)).out")"
done
# A train that reads the raw another host published may reuse that host's
# run of it (same key): recorded 'reused', a success too.
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status IN ('ok', 'reused')")" 15
# Five contents of raw: five versions, each number once, none skipped.
assert_eq "$(sql "SELECT count(*) || ' ' || count(DISTINCT version) || ' ' ||
  min(version) || ' ' || max(version) FROM artifact_versions WHERE name =
  'raw'")" "5 5 0 4" "raw versions"
# Trains that read the same raw may make the same model (then one version):
# numbers are unique and dense either way.
for name in model report; do
  assert_eq "$(sql "SELECT count(*) = count(DISTINCT version) AND min(version)
    = 0 AND max(version) = count(*) - 1 FROM artifact_versions WHERE name = '$name'")" 1 "$name versions"
done
assert_eq "$(sql "SELECT count(*) FROM versions WHERE published = 0")" 0
assert_eq "$(sql "PRAGMA integrity_check")" ok

case_ kill_9_mid_run_loses_nothing
export AEROMANCY_STORE="$AERO_TMP/killed"
run "$AEROHOST" run "$PLUGIN" --dev
assert_rc 0
setsid "$AEROHOST" run "$PLUGIN" --dev -- --content killed --sleep-ms 60000 \
  >/dev/null 2>&1 &
victim=$!
# Running: recorded, and the action's process forked (the session holds
# aerohost, its fork server and the action, the one in a process group of
# its own). Waiting must end well inside the action's 60 s, or the victim
# ends on its own and the case proves nothing.
action_forked() {
  ps -o pgid= -s "$victim" | tr -d ' ' | grep -qvx "$victim"
}
running_and_forked() {
  [[ $(sql "SELECT count(*) FROM runs WHERE status = 'running'") == 1 ]] &&
    action_forked
}
wait_until 200 0.05 running_and_forked || fail "the victim's action never ran"
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'running'")" 1
# Only aerohost: its action (in a process group of its own) must not
# outlive it, or it could work on the store unrecorded.
kill -9 "$victim"
wait_until 40 0.05 session_ended "$victim"
orphans=$(ps -o pid= -s "$victim")
assert_eq "$orphans" "" "processes left in the killed aerohost's session"
[[ -n $orphans ]] && kill -9 $orphans
wait "$victim" 2>/dev/null
sleep 0.2
assert_eq "$(sql "PRAGMA integrity_check")" ok
assert_eq "$(sql "SELECT count(*) FROM artifact_versions")" 3
assert_eq "$(find "$AEROMANCY_STORE/blobs" -type f ! -name '.tmp-*' | wc -l)" \
  "$(sql "SELECT count(DISTINCT sha256) FROM version_files")"
# The dead host's run stays `running` until the next host starts a run: it
# takes over the dead owner's lock and records that run killed.
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'running'")" 1
assert_eq "$(ls "$AEROMANCY_STORE/owners" | wc -l)" 1
run "$AEROHOST" run "$PLUGIN" --dev -- --content after
assert_rc 0
assert_eq "$(sql "SELECT count(*) FROM artifact_versions WHERE name =
  'raw'")" 2
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'running'")" 0
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'killed'
  AND message LIKE 'aerohost ended without recording%'")" 1
# Every host that ended cleanly removed its own owner file.
assert_eq "$(ls "$AEROMANCY_STORE/owners" | wc -l)" 0

case_ a_live_hosts_runs_are_not_taken_over
export AEROMANCY_STORE="$AERO_TMP/alive"
run "$AEROHOST" run "$PLUGIN" --dev
assert_rc 0
"$AEROHOST" run "$PLUGIN" --dev -- --content slow --sleep-ms 3000 \
  >/dev/null 2>&1 &
slow=$!
one_running() { [[ $(sql "SELECT count(*) FROM runs WHERE status = 'running'") == 1 ]]; }
wait_until 100 0.05 one_running
run "$AEROHOST" run "$PLUGIN" --dev --only ingest -- --content quick
assert_rc 0
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'killed'")" 0
wait "$slow"
assert_eq "$?" 0 "the slow host's exit code"
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status NOT IN ('ok')")" 0

case_ corrupt_database_is_one_line
mkdir -p "$AERO_TMP/corrupt"
head -c 4096 /dev/urandom >"$AERO_TMP/corrupt/aeromancy.db"
run "$AEROHOST" run "$PLUGIN" --dev --store "$AERO_TMP/corrupt"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "$AERO_TMP/corrupt/aeromancy.db: not a database (file is corrupt?)"

case_ emptied_database_is_no_store_to_readers
# An aeromancy.db emptied (truncated to nothing, or only a header: a copy
# without its -wal file) beside the blobs of its runs: readers and fsck
# say so in one line, exit 3, instead of listing no runs and finding the
# store sound, and leave the file as it is (a reader never creates a
# store); a host refuses to start a new record over the old one.
"$AEROHOST" run "$PLUGIN" --dev --store "$AERO_TMP/emptied" >/dev/null 2>&1
rm -f "$AERO_TMP/emptied"/aeromancy.db*
: >"$AERO_TMP/emptied/aeromancy.db"
for cmd in runs fsck gc "show 1" artifacts; do
  # shellcheck disable=SC2086 # the command's words
  run "$AEROMANCY" $cmd --store "$AERO_TMP/emptied"
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "$AERO_TMP/emptied: its aeromancy.db holds no record"
done
assert_eq "$(stat -c %s "$AERO_TMP/emptied/aeromancy.db")" 0
sqlite3 "$AERO_TMP/emptied/aeromancy.db" "PRAGMA journal_mode = WAL" >/dev/null
run "$AEROMANCY" fsck --store "$AERO_TMP/emptied"
assert_rc 3
assert_contains "$err" "$AERO_TMP/emptied: its aeromancy.db holds no record"
assert_eq "$(db_of "$AERO_TMP/emptied" "SELECT count(*) FROM sqlite_schema")" 0
# Nor does a host start a new record there, numbering runs and versions
# from 1 again over the views and blobs of the lost one.
run "$AEROHOST" run "$PLUGIN" --dev --store "$AERO_TMP/emptied"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "$AERO_TMP/emptied/aeromancy.db holds no record, but the store $AERO_TMP/emptied holds blobs or views"
assert_eq "$(db_of "$AERO_TMP/emptied" "SELECT count(*) FROM sqlite_schema")" 0
# A new store's empty folders are no history: the first host creates it.
mkdir -p "$AERO_TMP/fresh/blobs" "$AERO_TMP/fresh/views"
run "$AEROHOST" run "$PLUGIN" --dev --store "$AERO_TMP/fresh" --only ingest
assert_rc 0

case_ unreadable_store_is_not_called_missing
# A store this user may not enter (another user's, mode 0700) has runs:
# "no store ... nothing was recorded there yet", exit 3, told a user that
# it had none. Now one line naming it and the cause, exit 2.
"$AEROHOST" run "$PLUGIN" --dev --store "$AERO_TMP/private" >/dev/null 2>&1
chmod 711 "$AERO_TMP"
chmod 700 "$AERO_TMP/private"
if [[ $(id -u) == 0 ]] && command -v runuser >/dev/null; then
  for where in private private/sub; do
    run runuser -u nobody -- "$AEROMANCY" runs --store "$AERO_TMP/$where"
    assert_rc 2
    assert_one_line "$err"
    assert_contains "$err" "cannot read the store at $AERO_TMP/$where: Permission denied"
  done
  run runuser -u nobody -- "$AEROMANCY" runs --store "$AERO_TMP/nowhere"
  assert_rc 3
  assert_contains "$err" "no store at $AERO_TMP/nowhere (nothing was recorded"
elif [[ ${CI:-} == true ]]; then
  fail "cannot run as another user (CI runs the tests as root)"
fi
chmod 700 "$AERO_TMP"

case_ unusable_store_folder_is_one_line
touch "$AERO_TMP/a-file"
run "$AEROHOST" run "$PLUGIN" --dev --store "$AERO_TMP/a-file/store"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "$AERO_TMP/a-file/store"
run env AEROMANCY_PLUGIN_PATH="$AERO_TMP" AEROMANCY_STORE="$AERO_TMP/s" \
  "$AEROHOST" run "$PLUGIN" --dev
# The build tree is searched after AEROMANCY_PLUGIN_PATH: still found.
assert_rc 0

done_
