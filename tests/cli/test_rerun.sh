#!/usr/bin/env bash
# aeromancy rerun (issue 9) in dev mode: runs made by `aeromancy go --dev`
# in real git repositories (the diabetes example, a project from `aeromancy
# new`, and one whose action is deliberately nondeterministic) are rerun
# from their record alone and compared output by output.
. "$(dirname "$0")/../lib.sh"

export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="aeromancy tests" GIT_AUTHOR_EMAIL="tests@aeromancy.invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
A=$AEROMANCY
cd "$AERO_TMP" || exit 1

# commit_all DIR: a git repository of DIR's files on branch "work".
commit_all() {
  git -C "$1" init -q -b work && git -C "$1" add -A &&
    git -C "$1" commit -q -m "as run" || fail "git commit in $1"
}

# go_dev DIR ARGS...: aeromancy go --dev in DIR; output in $err.
go_dev() {
  local dir=$1
  shift
  (cd "$dir" && "$A" go --dev "$@") >"$AERO_TMP/out" 2>"$AERO_TMP/err"
  rc=$?
  err=$(cat "$AERO_TMP/err")
}

case_ "the diabetes example: every run reproduced bit for bit"
DATA=$AERO_BUILD_DIR/example-data/diabetes
"$AERO_SOURCE_DIR/examples/diabetes/fetch-data.sh" "$DATA" >/dev/null 2>&1 ||
  fail "fetch-data.sh"
cp -r "$AERO_SOURCE_DIR/examples/diabetes" diabetes
commit_all diabetes
go_dev diabetes -- --data-dir "$DATA"
assert_rc 0
ids=$(sql "SELECT group_concat(id, ' ') FROM runs WHERE status = 'ok'")
[[ -n $ids ]] || fail "diabetes recorded no run"
assert_eq "$(sql "SELECT count(DISTINCT git_commit) FROM runs")" 1
for id in $ids; do
  run bash -c "cd diabetes && '$A' rerun $id --dev"
  assert_rc 0
  outputs=$(sql "SELECT count(*) FROM run_outputs WHERE run_id = $id")
  assert_contains "$err" "reproduced: $outputs of $outputs outputs identical"
  assert_not_contains "$out" "differs"
  # The same commit rebuilt in another folder is the same plugin.
  assert_not_contains "$err" "plugin's SHA-256 differs"
  # Really executed again: a reuse of the run itself would prove nothing.
  assert_eq "$(sql "SELECT status FROM runs WHERE id = (SELECT max(id) FROM runs)")" ok "rerun of $id"
done
assert_eq "$(git -C diabetes worktree list | wc -l)" 1 # the temporary one is gone

case_ "rerun --dry-run prints the worktree and aeromancy go command lines"
fit=$(sql "SELECT max(id) FROM runs WHERE job_type = 'train'")
[[ -n $fit ]] || fit=$(echo "$ids" | awk '{print $2}')
before=$(sql "SELECT count(*) FROM runs")
run bash -c "cd diabetes && '$A' rerun $fit --dev --dry-run"
assert_rc 0
assert_contains "$out" "worktree add --detach"
assert_contains "$out" "$(sql "SELECT git_commit FROM runs WHERE id = $fit")"
assert_contains "$out" "go --dev --force --project"
assert_contains "$out" "--artifact-override diabetes/"
assert_contains "$out" "-- --data-dir $DATA"
assert_eq "$before" "$(sql "SELECT count(*) FROM runs")"

case_ "a deliberately nondeterministic action is reported as differing, exit 1"
"$A" new noisy >/dev/null 2>&1 || fail "aeromancy new"
# The fitted model gets the time in nanoseconds: never the same twice.
sed -i 's|  fprintf(f, "mean %.6f\\n", mean);|  struct timespec ts;\n  clock_gettime(CLOCK_REALTIME, \&ts);\n  fprintf(f, "mean %.6f at %ld\\n", mean, (long)ts.tv_nsec);|' noisy/aeromain.c
sed -i 's|#include <string.h>|#include <string.h>\n#include <time.h>|' noisy/aeromain.c
grep -q tv_nsec noisy/aeromain.c || fail "could not make the action nondeterministic"
git -C noisy commit -qam "nondeterministic" || fail "git commit"
go_dev noisy -- --epochs 2
assert_rc 0
model_run=$(sql "SELECT max(id) FROM runs WHERE project = 'noisy' AND job_type = 'fit'")
builds() { ls "${XDG_CACHE_HOME:-$HOME/.cache}/aeromancy/build" 2>/dev/null | sort; }
builds_before=$(builds)
run bash -c "cd noisy && '$A' rerun $model_run --dev"
# The build folder of the rerun's worktree goes with the worktree (each
# rerun's is a new folder: each left a whole build tree in the cache).
assert_eq "$(builds)" "$builds_before" "the plugin build folders in the cache"
assert_rc 1
assert_contains "$out" "$(printf 'differs\tnoisy/model\t')"
assert_contains "$err" "not reproduced: 0 of 1 outputs identical"
assert_contains "$err" "differing: noisy/model"

case_ "a run that did not succeed is not reproduced by a rerun that does"
# fit sleeps 2 s. Timed out (--timeout 1): the rerun takes the recorded
# --timeout, and times out again. Stopped with SIGTERM (killed): the
# rerun ends ok, another outcome, not a reproduction (it said "0 of 0
# outputs identical", exit 0).
"$A" new sleepy >/dev/null 2>&1 || fail "aeromancy new"
sed -i 's|^  double mean = 0;|  sleep(2);\n  double mean = 0;|' sleepy/aeromain.c
sed -i 's|#include <string.h>|#include <string.h>\n#include <unistd.h>|' sleepy/aeromain.c
grep -q 'sleep(2)' sleepy/aeromain.c || fail "could not make fit sleep"
git -C sleepy commit -qam "fit sleeps" || fail "git commit"
go_dev sleepy --timeout 1
assert_rc 1
slow=$(sql "SELECT max(id) FROM runs WHERE project = 'sleepy' AND job_type = 'fit'")
assert_eq "$(sql "SELECT status FROM runs WHERE id = $slow")" timed_out
run bash -c "cd sleepy && '$A' rerun $slow --dev --dry-run"
assert_contains "$out" "--timeout=1"
run bash -c "cd sleepy && '$A' rerun $slow --dev"
assert_rc 1
assert_contains "$err" "not reproduced: run "
assert_contains "$err" " ended timed_out"
(cd sleepy && exec "$A" go --dev) >/dev/null 2>&1 &
goer=$!
fit_running() {
  [[ $(sql "SELECT count(*) FROM runs WHERE project = 'sleepy' AND job_type = 'fit' AND status = 'running'") == 1 ]]
}
wait_until 200 0.05 fit_running || fail "fit never started"
kill -TERM "$goer"
wait "$goer" 2>/dev/null
stopped=$(sql "SELECT max(id) FROM runs WHERE project = 'sleepy' AND job_type = 'fit'")
assert_eq "$(sql "SELECT status FROM runs WHERE id = $stopped")" killed
run bash -c "cd sleepy && '$A' rerun $stopped --dev"
assert_rc 1
assert_contains "$err" "ended ok, where run $stopped ended killed"

case_ "a run whose input's content is gone from the store: rerun fails, says so, loses nothing"
sample_sha=$(sql "SELECT f.sha256 FROM run_inputs i JOIN version_files f ON
  f.version_id = i.version_id WHERE i.run_id = $model_run LIMIT 1")
[[ -n $sample_sha ]] || fail "the fit run read no input"
# A small blob is a row of the local store's database: set aside as a row.
in_db=0
[[ $AERO_TEST_BACKEND != postgres && $(sql "SELECT count(*) FROM inline_blobs
  WHERE sha256 = '$sample_sha'") == 1 ]] && in_db=1
if ((in_db)); then
  sql "CREATE TABLE kept_blob AS SELECT * FROM inline_blobs WHERE sha256 =
    '$sample_sha'; DELETE FROM inline_blobs WHERE sha256 = '$sample_sha'"
else
  sample_blob=$(blob_file "$sample_sha")
  chmod u+w "$(dirname "$sample_blob")"
  mv "$sample_blob" "$AERO_TMP/sample.blob"
fi
# Nor a copy elsewhere: the local store's views, the team store's cache.
if [[ $AERO_TEST_BACKEND == postgres ]]; then
  rm -rf "$AEROMANCY_CACHE"
else
  rm -rf "$AEROMANCY_STORE/views"
fi
runs_before=$(sql "SELECT id || status FROM runs ORDER BY id")
run bash -c "cd noisy && '$A' rerun $model_run --dev"
assert_rc 1
assert_contains "$err" "${sample_sha:0:16}"
assert_contains "$err" "not reproduced: run "
[[ $(sql "SELECT id || status FROM runs ORDER BY id") == "$runs_before"* ]] ||
  fail "a run recorded before changed"
if ((in_db)); then
  sql "INSERT INTO inline_blobs SELECT * FROM kept_blob; DROP TABLE kept_blob"
else
  mv "$AERO_TMP/sample.blob" "$sample_blob"
fi

case_ "a rerun whose aeromancy go fails before recording a run exits with go's code"
# The plugin does not build (aeromancy.ini named by AEROMANCY_CONFIG asks
# for a target the project lacks): go exits 3, and so does rerun, as its
# --help says, not 1.
{ cat noisy/aeromancy.ini; printf '\n[build]\ntarget = no_such_target\n'; } >"$AERO_TMP/bad.ini"
runs_before=$(sql "SELECT count(*) FROM runs")
run bash -c "cd noisy && AEROMANCY_CONFIG='$AERO_TMP/bad.ini' '$A' rerun $model_run --dev"
assert_rc 3
assert_contains "$err" "recorded no run of [fit] (aeromancy go exited 3)"
assert_eq "$(sql "SELECT count(*) FROM runs")" "$runs_before"
run "$A" rerun --help
assert_contains "$(tr '\n' ' ' <<<"$out")" "exits with go's own code (3: the plugin"

case_ "a run without a commit, an unknown commit, an unknown run: one line, exit 3"
"$AEROHOST" run "$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so" --dev >/dev/null 2>&1
nocommit=$(sql "SELECT max(id) FROM runs")
run bash -c "cd noisy && '$A' rerun $nocommit --dev"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "recorded no git commit"
if [[ $AERO_TEST_BACKEND == postgres ]]; then
  sql "UPDATE runs SET git_commit = '0123456789abcdef0123456789abcdef01234567' WHERE id = $model_run"
else
  # The local store keeps the commit with the invocation (schema 7): shared
  # by the runs of that aerohost.
  sql "UPDATE invocations SET git_commit = '0123456789abcdef0123456789abcdef01234567'
    WHERE id = (SELECT invocation_id FROM run_records WHERE id = $model_run)"
fi
run bash -c "cd noisy && '$A' rerun $model_run --dev"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "commit 0123456789abcdef0123456789abcdef01234567 of run $model_run is unknown to the repository"
run "$A" rerun 99999 --dev
assert_rc 3
assert_contains "$err" "no run 99999"

done_
