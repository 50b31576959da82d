#!/usr/bin/env bash
# aeromancy go against the real engine, with examples/aerodemo in a fresh
# git repository on a feature branch: the image is built once, the plugin
# is built in it and run in a container, the store records commit, image,
# plugin digest and packages; a changed plugin costs no image build; a
# failing action makes the runner exit 1. It runs an installed aeromancy
# (cmake --install into a private prefix), as users do.
. "$(dirname "$0")/lib.sh"
container_setup
install_runner

proj="$AERO_TMP/aerodemo"
new_project "$AERO_SOURCE_DIR/examples/aerodemo" "$proj" exp/first-try
cd "$proj" || exit 1

case_ "first production run: image built once, plugin built and run in the container"
t0=$(now)
run "$RUNNER" go -- --epochs 5
assert_rc 0
# The summary names the store where the user finds it, not its mount point
# in the container (/aeromancy/store).
shown=$AEROMANCY_STORE
[[ -n ${HOME:-} && $HOME != / && $shown == "$HOME"/* ]] && shown="~${shown#"$HOME"}"
assert_contains "$err" "; runs 1-3 in $shown"
assert_not_contains "$err" " in /aeromancy/store"
tag=$(image_tag_of "$err")
[[ -n $tag ]] || fail "the runner named no image tag: $err"
# Built during this run unless an earlier test already built this recipe.
if (($(images_tagged_since "$t0") > 0)); then
  assert_contains "$err" "building the host image $tag"
else
  assert_not_contains "$err" "building the host image"
fi
image_id=$(docker image inspect --format '{{.Id}}' "$tag")
# One container builds the plugin and runs it. It carries the checkout's
# label, by which the refusal tests count containers; another folder's
# count stays 0.
assert_eq "$(containers_created_since "$t0")" 1 "containers of this checkout"
assert_eq "$(containers_created_since "$t0" "$AERO_TMP")" 0 "containers of another folder"
plugin=$(built_plugin aerodemo)
[[ -f $plugin ]] || fail "no aerodemo.so in the build folder"
sha=$(sha256sum "$plugin" | cut -d' ' -f1)
commit=$(git rev-parse HEAD)
assert_eq "$(sql "select count(*) from runs where mode = 'prod' and status = 'ok'")" 3
assert_eq "$(sql "select group_concat(distinct git_commit) from runs")" "$commit"
assert_eq "$(sql "select group_concat(distinct git_branch) from runs")" "exp/first-try"
assert_eq "$(sql "select group_concat(distinct git_message) from runs")" "initial import"
assert_eq "$(sql "select group_concat(distinct image_id) from runs")" "$image_id"
assert_eq "$(sql "select group_concat(distinct plugin_sha256) from runs")" "$sha"
# The path only exists inside the container, and so does the hostname.
assert_eq "$(sql "select group_concat(distinct plugin_path) from runs")" "/plugin/aerodemo.so"
[[ $(sql "select group_concat(distinct hostname) from runs") != "$(hostname)" ]] ||
  fail "the runs record this machine's hostname: they did not run in a container"
# The package list is the image's own, recorded at its build.
image_packages=$(docker run --rm "$tag" cat /usr/share/aeromancy/packages.txt)
assert_eq "$(sql "select packages from runs order by id limit 1")" "$image_packages" "package list"
assert_contains "$image_packages" "cmake"$'\t'
# Built in the image (paths of the container), owned by the caller.
grep -q '^CMAKE_HOME_DIRECTORY:INTERNAL=/project$' "$(dirname "$(dirname "$plugin")")/CMakeCache.txt" ||
  fail "the plugin was not configured inside the container"
assert_eq "$(stat -c %u:%g "$plugin")" "$(id -u):$(id -g)" "plugin owner"
assert_eq "$(git status --porcelain)" "" "the run left files in the project"

case_ "an unchanged rerun builds no image"
t1=$(now)
run "$RUNNER" go -- --epochs 5
assert_rc 0
assert_not_contains "$err" "building the host image"
assert_eq "$(images_tagged_since "$t1")" 0 "images tagged"

case_ "swapping the plugin: same image, no build, new digest recorded"
images_before=$(host_images)
last=$(sql "select max(id) from runs")
sed -i 's/wrote %zu training and %d test rows/wrote %zu training rows and %d test rows (v2)/' actions.c
grep -q '(v2)' actions.c || fail "the test could not change the action"
commit_all . "ingest: say which rows"
t2=$(now)
run "$RUNNER" go -- --epochs 5
assert_rc 0
assert_contains "$err" "test rows (v2)"
assert_not_contains "$err" "building the host image"
assert_eq "$(image_tag_of "$err")" "$tag" "image tag"
assert_eq "$(images_tagged_since "$t2")" 0 "images tagged"
assert_eq "$(host_images)" "$images_before" "aeromancy-host images"
new_sha=$(sha256sum "$(built_plugin aerodemo)" | cut -d' ' -f1)
[[ $new_sha != "$sha" ]] || fail "the rebuilt plugin has the old digest"
assert_eq "$(sql "select group_concat(distinct plugin_sha256) from runs where id > $last")" "$new_sha"
assert_eq "$(sql "select group_concat(distinct image_id) from runs where id > $last")" "$image_id"
assert_eq "$(sql "select group_concat(distinct git_commit) from runs where id > $last")" "$(git rev-parse HEAD)"

case_ "a failing action in the container: runner exits 1, run recorded failed"
last=$(sql "select max(id) from runs")
run "$RUNNER" go -- --epochs 5 --learning-rate 1e9
assert_rc 1
assert_contains "$err" "diverged"
assert_eq "$(sql "select status from runs where id > $last and job_type = 'train'")" "failed"
assert_eq "$(sql "select count(*) from runs where id > $last and status = 'ok' and job_type != 'ingest'")" 0

case_ "project flags reach the plugin; a bad one is exit 3 from aerohost"
run "$RUNNER" go -- --no-such-flag 1
assert_rc 3
assert_contains "$err" "no-such-flag"

case_ "SIGINT while the plugin builds in the container: it stops at once, not after the build"
# Not from a terminal (stdin /dev/null, its own process group, as in a CI
# job): the build waits 120 s in a custom step. The init passed SIGINT to
# the build script's shell alone, which let the build finish first.
git checkout -q -b slow-build
printf 'add_custom_target(slow_step COMMAND sleep 120)\nadd_dependencies(aerodemo slow_step)\n' \
  >>CMakeLists.txt
commit_all . "a slow build"
setsid "$RUNNER" go </dev/null >"$AERO_TMP/slow.out" 2>"$AERO_TMP/slow.err" &
goer=$!
sleeping() {
  [[ -n $(docker ps -q --filter "label=org.aeromancy.project-dir=$(realpath "$proj")") ]] &&
    pgrep -f "sleep 120" >/dev/null
}
wait_until 1200 0.1 sleeping || fail "the slow build never started: $(tail -3 "$AERO_TMP/slow.err")"
t_int=$(date +%s%N)
kill -INT -- "-$goer"
wait "$goer"
rc=$?
took_ms=$((($(date +%s%N) - t_int) / 1000000))
assert_rc 130
((took_ms < 20000)) || fail "aeromancy go took ${took_ms} ms to stop after SIGINT"
gone() { [[ -z $(docker ps -q --filter "label=org.aeromancy.project-dir=$(realpath "$proj")") ]]; }
wait_until 100 0.1 gone || fail "a container of this checkout still runs"
git checkout -q -

done_
