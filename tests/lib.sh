# Shared helpers for script tests (tests/cli, tests/container). Source it:
#   . "$(dirname "$0")/../lib.sh"
# ctest sets AEROHOST, AERO_SOURCE_DIR, AERO_BUILD_DIR, AERO_FIXTURES,
# AEROMANCY_PLUGIN_PATH (and AEROMANCY once the runner exists).
set -uo pipefail

AERO_TEST_NAME=$(basename "$0" .sh)
AERO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/aero-${AERO_TEST_NAME}.XXXXXX")
export AEROMANCY_STORE="$AERO_TMP/store"
export HOME="$AERO_TMP/home"
mkdir -p "$HOME"
aero_cases=0
aero_failed=0
trap 'rm -rf "$AERO_TMP"' EXIT
# AddressSanitizer's and LeakSanitizer's reports, of every process this
# test starts (in the background too, or with its stderr thrown away), go
# to files $AERO_TMP/sanitizer.PID: a report fails the case that made it
# (sanitizer_clean) or, from a process nobody waited for, the test
# (done_). UndefinedBehaviorSanitizer prints to stderr whatever log_path
# says (GCC 12); the sanitized programs also write its reports to
# $AERO_UBSAN_LOG.PID (host/ubsan_report.c), here $AERO_TMP/sanitizer.ubsan.PID.
if [[ -n ${ASAN_OPTIONS+x} ]]; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}log_path=$AERO_TMP/sanitizer"
  export AERO_UBSAN_LOG=$AERO_TMP/sanitizer.ubsan
fi

# aero_reap_start: from here on, what this test starts dies with it even
# when it is SIGKILLed (ctest's TIMEOUT) and no trap runs: starts
# tests/reaper.sh, detached, once, and exports AERO_REAP_TOKEN (the mark
# the watchdog finds the test's processes by). Sets AERO_REAP_DIR; the
# test's teardown removes it once it stopped its servers (aero_reap_done).
# Called by servers.sh and container/lib.sh before a server starts.
aero_reap_start() {
  [[ -z ${AERO_REAP_DIR:-} ]] || return 0
  AERO_REAP_DIR=$(mktemp -d /tmp/aero-reap.XXXXXX)
  echo "$AERO_TMP" >"$AERO_REAP_DIR/dirs"
  export AERO_REAP_TOKEN=$AERO_REAP_DIR
  # Field 22: the test's start time, so that a pid used again is not
  # taken for it.
  setsid -f bash "$(dirname "${BASH_SOURCE[0]}")/reaper.sh" "$$" \
    "$(aero_proc_field $$ 22)" "$AERO_REAP_DIR" </dev/null >/dev/null 2>&1
}

# aero_proc_field PID N: field N of /proc/PID/stat, numbered as proc(5)
# numbers them (3 the state, 11 cminflt, 22 the start time); empty when
# PID is gone. The command name (field 2) may hold spaces: the fields are
# read after its closing parenthesis.
aero_proc_field() {
  local stat fields
  read -r stat <"/proc/$1/stat" 2>/dev/null || return 0
  read -r -a fields <<<"${stat##*) }"
  echo "${fields[$2 - 3]}"
}

# aero_alive PID: PID runs (a zombie does not).
aero_alive() {
  local state
  state=$(aero_proc_field "$1" 3)
  [[ -n $state && $state != Z ]]
}

# aero_reap_note KIND LINE: tells the watchdog of a server to stop (KIND pg:
# a PostgreSQL data folder; slurm: a slurm.conf) or a folder to remove
# (dirs).
aero_reap_note() {
  [[ -z ${AERO_REAP_DIR:-} ]] || echo "$2" >>"$AERO_REAP_DIR/$1"
}

# aero_reap_done: the servers are stopped; the watchdog ends.
aero_reap_done() {
  [[ -n ${AERO_REAP_DIR:-} ]] && rm -rf "$AERO_REAP_DIR"
  AERO_REAP_DIR=
}

# aero_fds_close: closes every descriptor but 0, 1 and 2, in the subshell
# that starts a daemon: it keeps none the test inherited (a lock the test
# runs under, as flock's on /work/slurm.lock, would be held as long as the
# daemon lives).
aero_fds_close() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    ((fd > 2)) && { eval "exec $fd>&-"; } 2>/dev/null
  done
  return 0
}

# fail MESSAGE: marks the current case failed.
fail() {
  echo "FAIL [$AERO_TEST_NAME:${aero_case:-?}] $*" >&2
  # Counted per case, so that the summary line adds up to the cases run.
  if [[ ${aero_case_failed:-0} == 0 ]]; then
    aero_failed=$((aero_failed + 1))
    # A failure before the first case_ still counts as one failed case.
    [[ -n ${aero_case:-} ]] || aero_cases=$((aero_cases + 1))
  fi
  aero_case_failed=1
}

# case NAME: starts a named case (for messages and the count).
case_() {
  aero_case=$1
  aero_case_failed=0
  aero_cases=$((aero_cases + 1))
}

# sanitizer_clean: a sanitizer's report on the stderr just captured
# ($AERO_TMP/err), or in a report file written since the last call (set
# aside once reported), fails the case, whatever the test checks next. In the
# sanitized build a report ends the process, whose output is then cut
# short: a test that checked only that nothing was printed once passed
# on an overflow that way.
sanitizer_clean() {
  local report f
  report=$(grep -m1 -E 'runtime error: |ERROR: (Address|Leak|UndefinedBehavior)Sanitizer' \
    "$AERO_TMP/err" 2>/dev/null)
  for f in "$AERO_TMP"/sanitizer.*; do
    [[ -e $f ]] || continue
    [[ -n $report ]] || report="$(basename "$f"): $(grep -m1 -E \
      'runtime error: |ERROR: ' "$f" || head -1 "$f")"
    mv "$f" "$AERO_TMP/reported-${f##*/}"
  done
  [[ -z $report ]] || fail "a sanitizer reported: $report"
}

# run CMD...: runs CMD, keeping its exit code in $rc, stdout in $out and
# stderr in $err (files $AERO_TMP/out, $AERO_TMP/err). A sanitizer's report
# on stderr fails the case (sanitizer_clean).
run() {
  "$@" >"$AERO_TMP/out" 2>"$AERO_TMP/err"
  rc=$?
  out=$(cat "$AERO_TMP/out")
  err=$(cat "$AERO_TMP/err")
  sanitizer_clean
}

# run_store_locked CMD...: like run, for an aerohost run of the exec_pipeline
# fixture with `--how lock_store`: when its action asks (a file lock-wanted
# in $AEROMANCY_STORE), a sqlite3 started here holds the store's write lock
# for up to 12 s, longer than the host waits to record; it is stopped once
# CMD ended. (A process the action started itself would end with it.)
run_store_locked() {
  "$@" >"$AERO_TMP/out" 2>"$AERO_TMP/err" &
  local host=$! locker=
  wait_until 200 0.05 test -e "$AEROMANCY_STORE/lock-wanted"
  sqlite3 "$AEROMANCY_STORE/aeromancy.db" ".timeout 5000" "BEGIN EXCLUSIVE;" \
    ".shell touch '$AEROMANCY_STORE/locked' && sleep 12" "COMMIT;" \
    >/dev/null 2>&1 &
  locker=$!
  wait "$host"
  rc=$?
  kill "$locker" 2>/dev/null
  wait "$locker" 2>/dev/null
  out=$(cat "$AERO_TMP/out")
  err=$(cat "$AERO_TMP/err")
  sanitizer_clean
}

# store_exists: the store was created (the local file, the team store's
# tables).
store_exists() {
  if [[ $AERO_TEST_BACKEND == postgres ]]; then
    [[ $(aero_psql "SELECT to_regclass('runs') IS NOT NULL") == t ]]
  else
    [[ -e $AEROMANCY_STORE/aeromancy.db ]]
  fi
}

# store_runs: how many runs the store holds (0 without a store).
store_runs() {
  if store_exists; then
    sql 'SELECT count(*) FROM runs'
  else
    echo 0
  fi
}

# plugin_refused PLUGIN WANT RUNS COMMAND...: for each aerohost COMMAND
# (`run` means `run --dev`), PLUGIN is refused before anything runs: exit 3,
# one line on stderr naming PLUGIN and containing WANT, nothing on stdout,
# and still RUNS runs in the store. One case per command.
plugin_refused() {
  local plugin=$1 want=$2 runs=$3 cmd
  shift 3
  for cmd in "$@"; do
    case_ "$(basename "$plugin") ($cmd)"
    if [[ $cmd == run ]]; then
      run "$AEROHOST" run --dev "$plugin"
    else
      run "$AEROHOST" "$cmd" "$plugin"
    fi
    assert_rc 3
    assert_one_line "$err"
    assert_contains "$err" "$plugin: "
    assert_contains "$err" "$want"
    assert_eq "$out" "" "nothing on stdout"
    assert_eq "$(store_runs)" "$runs" "runs in the store"
  done
}

assert_rc() {
  [[ $rc == "$1" ]] || fail "expected exit $1, got $rc; stderr: $err"
}
assert_eq() {
  [[ $1 == "$2" ]] || fail "expected '$2', got '$1'${3:+ ($3)}"
}
assert_contains() {
  [[ $1 == *"$2"* ]] || fail "expected to contain '$2': $1"
}
assert_not_contains() {
  [[ $1 != *"$2"* ]] || fail "expected not to contain '$2': $1"
}
# assert_one_line TEXT: bad input gets exactly one line of error.
assert_one_line() {
  local n
  n=$(printf '%s' "$1" | grep -c '')
  [[ $n == 1 ]] || fail "expected one line, got $n: $1"
}
# The backend a script runs against: local (default), or postgres (the team
# store, on servers started here; ctest runs the scripts that support it
# once per backend: one suite, two backends).
AERO_TEST_BACKEND=${AERO_TEST_BACKEND:-local}
if [[ $AERO_TEST_BACKEND == postgres ]]; then
  . "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
  aero_team_start
  # SQLite's group_concat, so that one query text reads both stores.
  aero_sql_compat() {
    aero_psql "CREATE FUNCTION aero_gc(acc text, x text, sep text) RETURNS
      text LANGUAGE sql IMMUTABLE AS 'SELECT CASE WHEN x IS NULL THEN acc WHEN
      acc IS NULL THEN x ELSE acc || sep || x END';
      CREATE AGGREGATE group_concat(text, text) (SFUNC = aero_gc, STYPE = text);
      CREATE FUNCTION aero_gc1(acc text, x text) RETURNS text LANGUAGE sql
      IMMUTABLE AS 'SELECT aero_gc(acc, x, '','')';
      CREATE AGGREGATE group_concat(text) (SFUNC = aero_gc1, STYPE = text);
      CREATE FUNCTION aero_gcn(acc text, x bigint, sep text) RETURNS text
      LANGUAGE sql IMMUTABLE AS 'SELECT aero_gc(acc, x::text, sep)';
      CREATE AGGREGATE group_concat(bigint, text) (SFUNC = aero_gcn, STYPE =
      text)" \
      >/dev/null
  }
  aero_sql_compat
fi

# sql QUERY: runs QUERY on the store's database (SQLite, or PostgreSQL with
# SQLite's group_concat).
sql() {
  if [[ $AERO_TEST_BACKEND == postgres ]]; then
    aero_psql "$1"
  else
    sqlite3 -batch -noheader "$AEROMANCY_STORE/aeromancy.db" "$1"
  fi
}

# blob_file SHA: the file holding blob SHA's content in the store. A small
# blob kept in the local store's database (inline_blobs) is written out to
# a copy under $AERO_TMP/inline/ first: reading it reads the store, changing
# it changes nothing (a test that damages blob files sets
# AEROMANCY_INLINE_MAX=0, or damages the row with sql).
blob_file() {
  if [[ $AERO_TEST_BACKEND == postgres ]]; then
    aero_team_blob "$1"
  elif [[ $(sqlite3 -batch -noheader "$AEROMANCY_STORE/aeromancy.db" \
      "SELECT count(*) FROM sqlite_schema s, inline_blobs i WHERE
       s.name = 'inline_blobs' AND i.sha256 = '$1'" 2>/dev/null) == 1 ]]; then
    mkdir -p "$AERO_TMP/inline"
    sqlite3 -batch -noheader "$AEROMANCY_STORE/aeromancy.db" \
      "SELECT writefile('$AERO_TMP/inline/$1', content) FROM inline_blobs
       WHERE sha256 = '$1'" >/dev/null
    echo "$AERO_TMP/inline/$1"
  else
    echo "$AEROMANCY_STORE/blobs/${1:0:2}/${1:2}"
  fi
}

# store_dump: the whole database of the store, as SQL text.
store_dump() {
  if [[ $AERO_TEST_BACKEND == postgres ]]; then
    aero_pg_as "$AERO_PG_BIN/pg_dump" -h "$AERO_PG_DIR" -U "$AERO_PG_USER" "$AERO_PG_DB"
  else
    sqlite3 "$AEROMANCY_STORE/aeromancy.db" .dump
  fi
}

# schema9_undo_sql: SQL that turns a local store of schema 9 back into the
# shape of schema 8: run_outputs a table again, each reused run holding a
# copy of the outputs of the run it reuses.
schema9_undo_sql() {
  echo "DROP VIEW IF EXISTS run_outputs;"
  echo "ALTER TABLE run_own_outputs RENAME TO run_outputs;"
  echo "INSERT OR IGNORE INTO run_outputs SELECT r.id, o.version_id FROM"
  echo "  run_records r JOIN run_outputs o ON o.run_id = r.reused_run;"
}

# schema7_undo_sql: SQL that turns a local store of schema 7 to 9 back into
# the shape of schema 6 (no inline_blobs: its small blobs are dropped with
# it; `runs` a table, each run's invocation facts in its own columns), for
# tests that then rewind it further and upgrade it again.
schema7_undo_sql() {
  local c cols="git_commit git_branch git_message git_remote image_id packages
    plugin_path plugin_sha256 host_version abi_version hostname command_line
    passthrough_env"
  schema9_undo_sql
  echo "DROP TABLE IF EXISTS inline_blobs; DROP VIEW runs;"
  for c in $cols; do
    echo "ALTER TABLE run_records ADD COLUMN $c TEXT;"
    echo "UPDATE run_records SET $c = (SELECT $c FROM invocations i WHERE i.id = invocation_id);"
  done
  echo "ALTER TABLE run_records DROP COLUMN invocation_id; DROP TABLE invocations;"
  echo "ALTER TABLE run_records RENAME TO runs;"
}

# new_store NAME: switches to a fresh, empty store named NAME.
new_store() {
  if [[ $AERO_TEST_BACKEND == postgres ]]; then
    aero_team_new_store "$1"
    aero_sql_compat
  else
    export AEROMANCY_STORE=$AERO_TMP/$1
  fi
}

# fresh_store: an empty store again: the local store's folder removed, or
# a new team store (database and bucket prefix) switched to.
aero_fresh_stores=0
fresh_store() {
  if [[ $AERO_TEST_BACKEND == postgres ]]; then
    aero_fresh_stores=$((aero_fresh_stores + 1))
    new_store "fresh$aero_fresh_stores"
  else
    rm -rf "$AEROMANCY_STORE"
  fi
}

# wait_until TRIES PAUSE CMD...: runs CMD until it succeeds, at most TRIES
# times, PAUSE seconds apart; fails (status 1) when it never did, for the
# caller to say what it waited for.
wait_until() {
  local tries=$1 pause=$2 i
  shift 2
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    sleep "$pause"
  done
  return 1
}

# session_ended PID: no process is left in the session PID led (setsid).
session_ended() {
  [[ -z $(ps -o pid= -s "$1") ]]
}

# start_hanging: aerohost in the background ($host) running the
# exec_pipeline fixture in dev mode with its train action hanging (its pid
# in $AERO_TMP/marker) after ingest published its output.
start_hanging() {
  local marker=$AERO_TMP/marker
  rm -f "$marker"
  "$AEROHOST" run "$AERO_FIXTURES/exec_pipeline.so" --dev -- --misbehave train \
    --how hang --marker "$marker" >/dev/null 2>"$AERO_TMP/host.err" &
  host=$!
  wait_until 200 0.05 test -s "$marker" ||
    fail "the hanging action never started: $(cat "$AERO_TMP/host.err")"
}

# start_abandoned QUERY_FN: a hanging host killed with SIGKILL, so its run
# stays 'running' with nobody to finish it; that run's id in $hung (read
# with QUERY_FN, the test's own SQL helper: sql for SQLite, q for postgres).
start_abandoned() {
  start_hanging
  kill -KILL "$host"
  wait "$host" 2>/dev/null
  hung=$("$1" "SELECT id FROM runs WHERE status = 'running'")
  [[ -n $hung ]] || fail "no run left running"
}

# keep_dev_removes_runs QUERY_FN BLOBS_FN: the store holds only finished
# dev runs; `gc --keep-dev 1` and `--dry-run` keep them all, `--keep-dev 0`
# removes every run and every blob, and fsck finds the store sound after.
# QUERY_FN is the test's SQL helper; BLOBS_FN prints how many blobs the
# store's blob storage holds (files on disk, or S3 objects).
keep_dev_removes_runs() {
  local before
  before=$("$1" "SELECT count(*) FROM runs")
  run "$A" gc --keep-dev 1
  assert_rc 0 # nothing old enough is no error
  assert_not_contains "$out" "dev-run"
  assert_contains "$err" " 0 dev runs in "
  assert_eq "$("$1" "SELECT count(*) FROM runs")" "$before"
  run "$A" gc --keep-dev 0 --dry-run
  assert_rc 0
  assert_eq "$(grep -c $'^dev-run\t' <<<"$out")" "$before" "dev runs it would remove"
  assert_contains "$err" "would remove"
  assert_eq "$("$1" "SELECT count(*) FROM runs")" "$before"
  local dry=$out dry_err=$err
  run "$A" gc --keep-dev 0
  assert_rc 0
  # The dry run listed, and counted, what gc then removed: with the runs,
  # the blobs only they referred to (it said "0 blobs" once).
  assert_eq "$(sort <<<"$out")" "$(sort <<<"$dry")" "what the dry run listed"
  assert_eq "${err#*removed }" "${dry_err#*would remove }" "the dry run's counts"
  assert_eq "$("$1" "SELECT count(*) FROM runs")" 0
  assert_eq "$("$1" "SELECT count(*) FROM metrics")" 0 "metric points left"
  assert_eq "$("$2")" 0 "blobs left"
  run "$A" fsck
  assert_rc 0
}

# done_: prints the plain summary line and exits non-zero on any failure.
done_() {
  sanitizer_clean # what processes in the background reported
  local passed=$((aero_cases - aero_failed))
  echo "$AERO_TEST_NAME: $passed passed, $aero_failed failed"
  ((aero_failed == 0))
}

