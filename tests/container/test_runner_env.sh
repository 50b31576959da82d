#!/usr/bin/env bash
# What the container shows the actions, with the probe fixture project:
# passed-through variables arrive by name only (the value is on no disk and
# in no record), extra docker run args mount a data folder, the debug shell
# sees the plugin and the store, an already built plugin runs as given,
# extra Debian packages land in the image and its package list, and --dev
# runs on this machine without a container. Every run passes --force on to
# aerohost: these actions read what the container gives them (variables,
# mounts), which a reused past run would not show.
. "$(dirname "$0")/lib.sh"
container_setup
install_runner

proj="$AERO_TMP/probe"
new_project "$AERO_SOURCE_DIR/tests/container/probe" "$proj" feature/env
cd "$proj" || exit 1

# artifact_text NAME: the content of the latest version of artifact NAME.
artifact_text() {
  local sha
  sha=$(sql "select f.sha256 from version_files f join versions v on v.id = f.version_id
             join artifacts a on a.id = v.artifact_id
             where a.name = '$1' and v.published = 1 order by v.version desc limit 1")
  [[ -n $sha ]] || return 1
  cat "$(blob_file "$sha")"
}

case_ "--extra-env-var passes the value, and the value touches no disk"
secret="aero-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
expected="len=${#secret} sha256=$(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)"
# A docker in front of the real one keeps a copy of the env file it is
# given (the runner deletes the original): it must hold names only.
spy_docker
PATH="$AERO_TMP/bin:$PATH" PROBE_SECRET=$secret run "$RUNNER" go --force --extra-env-var PROBE_SECRET -- --env-var PROBE_SECRET
assert_rc 0
env_file=$(cat "$AERO_TMP/env-file.copy")
assert_contains "$env_file" "PROBE_SECRET"
assert_contains "$env_file" "AEROMANCY_GIT_COMMIT"
assert_contains "$env_file" "AEROMANCY_IMAGE_ID"
assert_eq "$(grep -cvE '^[A-Za-z_][A-Za-z0-9_]*$' <<<"$env_file")" 0 "env file lines that are not a bare NAME"
assert_eq "$(artifact_text env_seen)" "$expected" "what the action saw"
assert_contains "$(sql "select passthrough_env from runs where job_type = 'probe' order by id desc limit 1")" "PROBE_SECRET"
leaks=$(grep -rlF -- "$secret" "$AERO_TMP" 2>/dev/null)
assert_eq "$leaks" "" "files holding the secret"
dump=$(sqlite3 "$AEROMANCY_STORE/aeromancy.db" .dump)
assert_not_contains "$dump" "$secret"
if [[ -r /var/lib/docker/containers ]]; then
  assert_eq "$(grep -rlF -- "$secret" /var/lib/docker/containers 2>/dev/null)" "" "engine state"
fi
assert_eq "$(find "$TMPDIR" -name 'aeromancy-env.*')" "" "env files left behind"

case_ "[env] passthrough of aeromancy.ini passes a variable too; an unset one is named"
PROBE_FROM_INI=from-the-ini run "$RUNNER" go --force -- --env-var PROBE_FROM_INI
assert_rc 0
assert_eq "$(artifact_text env_seen)" "len=12 sha256=$(printf from-the-ini | sha256sum | cut -d' ' -f1)"
run "$RUNNER" go --force -- --env-var PROBE_FROM_INI
assert_rc 0
assert_contains "$err" "PROBE_FROM_INI is not set here"
assert_eq "$(artifact_text env_seen)" "unset"

case_ "--extra-docker-run-args mounts a data folder an action reads"
data="$AERO_TMP/data dir"
mkdir -p "$data"
payload="payload $(date +%s%N)"
printf '%s\n' "$payload" >"$data/input.txt"
run "$RUNNER" go --force --extra-docker-run-args "-v '$data:/data:ro' --label probe=1" -- --data-file /data/input.txt
assert_rc 0
assert_eq "$(artifact_text data_copy)" "$payload"
run "$RUNNER" go --force -- --data-file /data/input.txt
assert_rc 1
assert_contains "$err" "cannot open /data/input.txt"

case_ "--debug-shell opens a shell with the plugin and the store mounted"
run "$RUNNER" go --debug-shell <<<'ls /plugin; echo "store=$AEROMANCY_STORE commit=$AEROMANCY_GIT_COMMIT"; touch /plugin/x 2>/dev/null || echo read-only; exit 7'
assert_rc 7
assert_contains "$out" "commit=$(git rev-parse HEAD)"
assert_contains "$out" "probe.so"
assert_contains "$out" "store=/aeromancy/store"
assert_contains "$out" "read-only"

case_ "--plugin runs an already built plugin"
plugin=$(built_plugin probe)
sha=$(sha256sum "$plugin" | cut -d' ' -f1)
cp "$plugin" "$AERO_TMP/prebuilt.so"
last=$(sql "select max(id) from runs")
run "$RUNNER" go --force --plugin "$AERO_TMP/prebuilt.so" -- --greeting prebuilt
assert_rc 0
assert_eq "$(sql "select plugin_path || ' ' || plugin_sha256 from runs where id > $last")" "/plugin/prebuilt.so $sha"
assert_eq "$(artifact_text hello)" "prebuilt"

case_ "aeromancy image prints the id the runs record"
run "$RUNNER" image
assert_rc 0
base_tag=$(image_tag_of "$err")
assert_eq "$out" "$(sql "select image_id from runs order by id desc limit 1")"

case_ "--extra-debian-package builds a new image that lists the package"
last=$(sql "select max(id) from runs")
t0=$(now)
run "$RUNNER" go --force --extra-debian-package bc
assert_rc 0
# Built now unless an earlier run of this test built this recipe.
if (($(images_tagged_since "$t0") > 0)); then
  assert_contains "$err" "building the host image"
fi
[[ $(image_tag_of "$err") != "$base_tag" ]] || fail "the extra package did not change the image recipe"
packages=$(sql "select packages from runs where id > $last limit 1")
assert_contains "$packages" $'\nbc\t'
[[ $(sql "select image_id from runs where id > $last limit 1") != "$out" ]] ||
  fail "the image with bc has the old id"

case_ "--dev builds and runs on this machine, recorded as dev"
t0=$(now)
last=$(sql "select max(id) from runs")
run "$RUNNER" go --force --dev -- --greeting dev-mode
assert_rc 0
assert_eq "$(containers_created_since "$t0")" 0 "containers created"
assert_eq "$(sql "select group_concat(distinct mode) from runs where id > $last")" "dev"
assert_eq "$(sql "select group_concat(distinct hostname) from runs where id > $last")" "$(hostname)"

case_ "image --prune removes the host images of older recipes, and only those"
# A copy of the project with its own image repository, so that pruning
# touches nothing of aeromancy-host (built from the cache: same recipe).
prune_proj="$AERO_TMP/probe-prune"
cp -r "$proj" "$prune_proj"
printf '\n[container]\nimage = aeromancy-prune-test\n' >>"$prune_proj/aeromancy.ini"
run "$RUNNER" image --project "$prune_proj"
assert_rc 0
current=$(grep -o 'aeromancy-prune-test:[0-9a-f]\{12\}' <<<"$err" | head -n 1)
[[ -n $current ]] || fail "the runner named no aeromancy-prune-test image: $err"
docker tag "$current" aeromancy-prune-test:older-one
docker tag "$current" aeromancy-prune-test:older-two
docker tag "$current" aeromancy-prune-other:kept
run "$RUNNER" image --prune --project "$prune_proj"
assert_rc 0
assert_contains "$err" "removed 2 older host images of aeromancy-prune-test"
assert_eq "$(docker image ls --format '{{.Repository}}:{{.Tag}}' aeromancy-prune-test)" "$current"
docker image inspect aeromancy-prune-other:kept >/dev/null 2>&1 ||
  fail "--prune removed an image of another repository"
assert_eq "$out" "$(docker image inspect --format '{{.Id}}' "$current")"
docker image rm "$current" aeromancy-prune-other:kept >/dev/null 2>&1

done_
