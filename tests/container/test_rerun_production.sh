#!/usr/bin/env bash
# aeromancy rerun in production (issue 9): aerodemo run in the container
# from a git repository, then each of its runs reproduced from the record
# alone (the commit in a temporary worktree, the plugin rebuilt in the host
# image, inputs pinned) and compared output by output.
. "$(dirname "$0")/lib.sh"
container_setup
install_runner

proj="$AERO_TMP/aerodemo"
new_project "$AERO_SOURCE_DIR/examples/aerodemo" "$proj" exp/rerun
cd "$proj" || exit 1

case_ "a production run of aerodemo"
run "$RUNNER" go -- --epochs 5
assert_rc 0
assert_eq "$(sql "select count(*) from runs where mode = 'prod' and status = 'ok'")" 3

case_ "rerun of each production run: every output identical, in the container"
for id in $(sql "select id from runs where mode = 'prod' order by id"); do
  before=$(sql "select max(id) from runs")
  run "$RUNNER" rerun "$id"
  assert_rc 0
  assert_contains "$err" "reproduced: 1 of 1 outputs identical"
  new=$(sql "select max(id) from runs")
  ((new > before)) || fail "rerun of $id recorded no run"
  assert_eq "$(sql "select mode || ' ' || status || ' ' || git_commit from runs where id = $new")" \
    "prod ok $(git rev-parse HEAD)"
  [[ $(sql "select hostname from runs where id = $new") != "$(hostname)" ]] ||
    fail "the rerun of $id did not run in a container"
  assert_eq "$(sql "select image_id from runs where id = $new")" \
    "$(sql "select image_id from runs where id = $id")"
done
assert_eq "$(git worktree list | wc -l)" 1
assert_eq "$(git status --porcelain)" ""

done_
