#!/usr/bin/env bash
# aeromancy go --executor slurm in production, against the real engine, a
# one-node Slurm cluster (tests/slurm.sh) and the team store's PostgreSQL
# and s3rver, all started here: the runner builds the image and the plugin
# in it, this machine's aerohost submits each action as a job, and each
# job's script runs the action in the project's image (`docker run` of the
# image by id). Every run records that image's id; the records equal a
# local production run's (same versions for the same content); a failing
# job is reported with exit 1 and its dependent skipped; a job over its
# Slurm time limit is recorded, in the container, with Slurm's reason, as
# the submitting host reports it; the job's memory, CPUs and GPU device
# reach its container, and an action past the memory is recorded out of
# memory, its dependent skipped; --detach returns
# at once and the jobs still run in the image; SIGTERM to the runner
# cancels the jobs and the run is recorded killed; no credential
# value is in a job's script, the jobs' command or any docker argument; a
# local store is refused before anything is built.
. "$(dirname "$0")/lib.sh"
container_setup
install_runner

# PostgreSQL runs as the user aerotest, which cannot enter this test's
# private folder: the servers and the cluster live in /tmp.
tmpdir=$TMPDIR
TMPDIR=/tmp
. "$AERO_SOURCE_DIR/tests/slurm.sh"
trap 'aero_slurm_stop; container_cleanup' EXIT
aero_slurm_start
aero_team_start
TMPDIR=$tmpdir

# s3rver checks the access key, not the secret; the database trusts the
# socket: any password is accepted, and none may leak.
AWS_SECRET_ACCESS_KEY=$(secret_of s3)
PGPASSWORD=$(secret_of pg)
export AWS_SECRET_ACCESS_KEY PGPASSWORD
secrets=("$AWS_SECRET_ACCESS_KEY" "$PGPASSWORD")

# A docker in front of the real one (lib.sh): every `docker run`, the
# runner's and the jobs', is appended to docker-runs. The jobs find it
# first in PATH too (sbatch passes this environment on).
spy_docker
PATH="$AERO_TMP/bin:$PATH"

proj="$AERO_TMP/aerodemo"
new_project "$AERO_SOURCE_DIR/examples/aerodemo" "$proj" exp/slurm
cd "$proj" || exit 1
commit=$(git rev-parse HEAD)

q() { aero_psql "$1"; }
versions() {
  q "SELECT string_agg(name || ':v' || version || ':' || digest, ' ' ORDER BY name)
     FROM artifact_versions"
}
# job_scripts: the job scripts of the last run, in the runner's build folder.
job_scripts() {
  find "$HOME/.cache/aeromancy/build" -path '*/aeromancy-slurm/action-*.sh' -type f
}

case_ "a local production run, for the versions"
aero_team_new_store go_local
run "$RUNNER" go
assert_rc 0
local_versions=$(versions)
[[ -n $local_versions ]] || fail "no versions recorded"
image_id=$(docker image inspect --format '{{.Id}}' "$(image_tag_of "$err")")
[[ $image_id == sha256:* ]] || fail "no image id for the runner's tag: $err"

case_ "go --executor slurm: each action a job in the image; the records equal the local run's"
aero_team_new_store go_slurm
: >"$AERO_TMP/docker-runs"
run "$RUNNER" go --debug --executor slurm --extra-docker-run-args "--label aero-test=go-slurm"
assert_rc 0
assert_contains "$err" "as Slurm jobs in aeromancy-host:"
assert_contains "$err" "[1/3] Running [ingest] dataset"
assert_contains "$err" "[3/3] OK [evaluate] report"
assert_contains "$err" "3 ok, 0 failed, 0 skipped in"
assert_eq "$(q "SELECT string_agg(job_type || ':' || status || ':' || mode, ' ' ORDER BY job_type) FROM runs")" \
  "evaluate:ok:prod ingest:ok:prod train:ok:prod"
assert_eq "$(versions)" "$local_versions" "same versions and digests as a local run"
assert_eq "$(q "SELECT string_agg(DISTINCT image_id, ',') FROM runs")" "$image_id" "image id of every run"
assert_eq "$(q "SELECT string_agg(DISTINCT git_commit, ',') FROM runs")" "$commit"
# The plugin's path only exists in the container: the runs ran there.
assert_eq "$(q "SELECT string_agg(DISTINCT plugin_path, ',') FROM runs")" "/plugin/aerodemo.so"
# Three jobs, each running the image by id with the plugin read-only.
assert_eq "$(job_scripts | wc -l)" 3 "job scripts"
for script in $(job_scripts); do
  body=$(cat "$script")
  assert_contains "$body" "'run' '--rm'"
  assert_contains "$body" "'$image_id' 'aerohost' 'run' '/plugin/aerodemo.so'"
  assert_contains "$body" "'-e' 'AEROMANCY_IMAGE_ID'"
  assert_contains "$body" "'-e' 'PGPASSWORD'"
  assert_contains "$body" "'--network' 'host'"
  assert_contains "$body" ",target=/plugin,readonly'"
  no_secrets "job script $script" "$body"
done
# The project's tree stays clean: the jobs' files are in the build folder.
assert_eq "$(git status --porcelain)" "" "files left in the project"
runs_of_jobs=$(grep -c '^--end--$' "$AERO_TMP/docker-runs")
assert_eq "$runs_of_jobs" 4 "docker runs (one build, three jobs)"
# --extra-docker-run-args reach every one of them, the build included.
assert_eq "$(grep -cx 'aero-test=go-slurm' "$AERO_TMP/docker-runs")" 4 "docker runs with the extra arguments"
no_secrets "the docker arguments" "$(cat "$AERO_TMP/docker-runs")"
no_secrets "the runner's --debug output" "$err"
no_secrets "the database" "$(aero_pg_as "$AERO_PG_BIN/pg_dump" -h "$AERO_PG_DIR" -U "$AERO_PG_USER" go_slurm)"
for s in "${secrets[@]}"; do
  assert_eq "$(grep -rlF -- "$s" "$AERO_TMP" 2>/dev/null)" "" "files holding a credential"
done

case_ "a failing job: exit 1, its dependent skipped, recorded in the image"
aero_team_new_store go_slurm_fail
run "$RUNNER" go --executor slurm -- --learning-rate 1e300
assert_rc 1
train_run=$(q "SELECT id FROM runs WHERE job_type = 'train'")
assert_contains "$err" "Failed [train] model: diverged at epoch"
assert_contains "$err" "(run $train_run)"
assert_contains "$err" "Skipped [evaluate] report: parent [train] model failed"
assert_contains "$err" "1 ok, 1 failed, 1 skipped in"
assert_eq "$(q "SELECT string_agg(job_type || ':' || status, ' ' ORDER BY id) FROM runs")" \
  "ingest:ok train:failed evaluate:skipped"
assert_eq "$(q "SELECT string_agg(DISTINCT image_id, ',') FROM runs")" "$image_id" "image id of every run"

case_ "--detach: the runner returns at once; the jobs run in the image after it"
aero_team_new_store go_slurm_detach
run "$RUNNER" go --executor slurm --detach -- --epochs 5
assert_rc 0
assert_eq "$(cut -f2 <<<"$out" | tr '\n' ' ')" "[ingest] dataset [train] model [evaluate] report "
# The jobs' command file the runner handed to aerohost is gone: each job
# script holds the whole command.
assert_eq "$(find "$HOME/.cache/aeromancy/build" -name 'slurm-job-command.*')" "" "command files left"
aero_slurm_wait_idle || fail "jobs still queued"
assert_eq "$(squeue -h -t all -j "$(cut -f1 <<<"$out" | paste -sd,)" -o %T | sort -u)" COMPLETED
assert_eq "$(q "SELECT string_agg(job_type || ':' || status, ' ' ORDER BY id) FROM runs")" \
  "ingest:ok train:ok evaluate:ok"
assert_eq "$(q "SELECT string_agg(DISTINCT image_id, ',') FROM runs")" "$image_id" "image id of every run"

case_ "SIGTERM to the runner cancels the jobs; the run in the container is recorded killed"
aero_team_new_store go_slurm_term
"$RUNNER" go --executor slurm -- --epochs 1000000 >"$AERO_TMP/out" 2>"$AERO_TMP/err" &
runner=$!
aero_slurm_wait_running train || fail "train never ran: $(cat "$AERO_TMP/err")"
kill -TERM "$runner"
wait "$runner"
rc=$?
err=$(cat "$AERO_TMP/err")
assert_rc 143
assert_contains "$err" "Failed [train] model: interrupted by SIGTERM"
aero_slurm_wait_idle || fail "jobs still queued after SIGTERM"
assert_eq "$(q "SELECT string_agg(job_type || ':' || status, ' ' ORDER BY id) FROM runs")" \
  "ingest:ok train:killed"
# The job's aerohost, in the container, learnt from the job's wrapper why.
job=$(squeue -h -t all -n "aero [train] model" -o %i | sort -n | tail -1)
assert_eq "$(q "SELECT message FROM runs WHERE job_type = 'train'")" "Slurm job $job was cancelled"
# The job's container went with its job (docker run passes the signal on).
no_containers() { [[ -z $(docker ps -q --filter "volume=$proj") ]]; }
wait_until 100 0.1 no_containers
assert_eq "$(docker ps -q --filter "volume=$proj")" "" "containers of the project still running"

case_ "a job over its Slurm time limit: recorded in the container with Slurm's reason; its dependent skipped"
aero_team_new_store go_slurm_limit
# A project of `aeromancy new` whose first action hangs: Slurm ends its job
# after the minute it asked for (checked every 30 s or so).
(cd "$AERO_TMP" && "$RUNNER" new hang >/dev/null) || fail "aeromancy new failed"
cd "$AERO_TMP/hang" || exit 1
sed -i -e 's|^#include <string.h>$|&\n#include <unistd.h>|' \
  -e 's|^static aero_status prepare(void \*data, aero_tracker \*t, aero_error \*err) {$|&\n  sleep(3600); /* until Slurm ends its job */|' \
  aeromain.c
grep -q '^#include <unistd.h>$' aeromain.c && grep -q '^  sleep(3600);' aeromain.c ||
  fail "the template's aeromain.c changed: prepare does not hang"
commit_all . "prepare hangs"
run "$RUNNER" go --executor slurm --slurm-time 1
assert_rc 1
job=$(squeue -h -t all -n "aero [prepare] samples" -o %i | sort -n | tail -1)
assert_eq "$(squeue -h -t all -j "$job" -o '%T %l')" "TIMEOUT 1:00"
hung=$(q "SELECT id FROM runs WHERE job_type = 'prepare'")
# Both sides say the same: the submitting host's banners, and the run the
# job's aerohost recorded in the container.
assert_contains "$err" "Failed [prepare] samples: Slurm job $job reached its time limit (TimeLimit) (run $hung)"
assert_contains "$err" "Skipped [fit] model: parent [prepare] samples timed out"
assert_contains "$err" "0 ok, 1 failed, 1 skipped in"
run "$RUNNER" show "$hung" --json
assert_rc 0
assert_eq "$(jq -r '[.status, .message, .mode] | join(":")' <<<"$out")" \
  "timed_out:Slurm job $job reached its time limit (TimeLimit):prod"
assert_eq "$(jq -r '.environment.image_id' <<<"$out")" "$image_id" "the run was recorded in the image"
assert_eq "$(q "SELECT string_agg(job_type || ':' || status, ' ' ORDER BY id) FROM runs")" \
  "prepare:timed_out fit:skipped"
# The job's wrapper, outside the container, asked Slurm (the job is
# COMPLETING when it is signalled; slurmstepd's line follows the record).
end_record=$(find "$HOME/.cache/aeromancy/build" -path "*/aeromancy-slurm/ends/$job" -type f)
[[ -n $end_record ]] || fail "no end record of job $job"
assert_contains "$(cat "$end_record")" " Reason=TimeLimit "
assert_contains "$(cat "$end_record")" "*** JOB $job ON localhost CANCELLED AT "
no_secrets "the job's end record" "$(cat "$end_record")"
cd "$proj" || exit 1

case_ "the job's allocation reaches its container: memory, CPUs, its GPU's device file"
aero_team_new_store go_slurm_alloc
# A project of `aeromancy new` whose prepare reports, as metrics, what its
# container was given (tests/container/slurm_limits.inc.c), or with
# --verbose takes 512 MiB.
(cd "$AERO_TMP" && "$RUNNER" new alloc >/dev/null) || fail "aeromancy new failed"
cd "$AERO_TMP/alloc" || exit 1
sed -i -e "s|^#include <aeromancy/aeromancy.h>\$|&\n#define GPU0 \"$AERO_SLURM_DIR/gpu0\"\n#define GPU1 \"$AERO_SLURM_DIR/gpu1\"|" aeromain.c
sed -i -e "/^#define GPU1 /r $AERO_SOURCE_DIR/tests/container/slurm_limits.inc.c" \
  -e 's|^  (void)data;$|  if (probe(t, ((settings *)data)->verbose, err) != AERO_OK)\n    return AERO_E_ACTION;|' \
  aeromain.c
grep -q '^static aero_status probe(' aeromain.c && grep -q '^  if (probe(t, ' aeromain.c ||
  fail "the template's aeromain.c changed: prepare does not probe"
commit_all . "prepare reports its container's limits"
run "$RUNNER" go --executor slurm --slurm-mem 300 --slurm-cpus 1 --slurm-gpus 1
assert_rc 0
assert_contains "$err" "2 ok, 0 failed, 0 skipped in"
# Slurm hands out GPU 0 of the two first (the cluster is idle): the
# container has its device file, not the other's.
assert_eq "$(q "SELECT string_agg(m.key || '=' || m.value, ' ' ORDER BY m.key)
  FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.job_type = 'prepare'")" \
  "cpus=1 gpu0=1 gpu1=0 memory_mib=300"

case_ "an action past its job's memory is recorded out of memory; its dependent skipped"
aero_team_new_store go_slurm_oom
run "$RUNNER" go --executor slurm --slurm-mem 100 -- --verbose
assert_rc 1
eater=$(q "SELECT id FROM runs WHERE job_type = 'prepare'")
assert_contains "$err" "Failed [prepare] samples: out of memory: the kernel killed it at its memory limit (100 MiB) (run $eater)"
assert_contains "$err" "Skipped [fit] model: parent [prepare] samples was killed"
assert_contains "$err" "0 ok, 1 failed, 1 skipped in"
assert_eq "$(q "SELECT string_agg(job_type || ':' || status || ':' || coalesce(message, ''), ' ' ORDER BY id) FROM runs")" \
  "prepare:killed:out of memory: the kernel killed it at its memory limit (100 MiB) fit:skipped:parent [prepare] samples was killed"
cd "$proj" || exit 1

case_ "a local store is refused before anything is built"
t0=$(now)
AEROMANCY_BACKEND= AEROMANCY_STORE="$AERO_TMP/local-store" run "$RUNNER" go --executor slurm
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--executor slurm needs the team store"
assert_contains "$err" "$AERO_TMP/local-store"
assert_eq "$(containers_created_since "$t0")" 0 "containers created"

done_
