#!/usr/bin/env bash
# A project made by `aeromancy new` passes a production `aeromancy go` as
# it comes: built in the host image against the SDK there, run in a
# container on its feature branch, every run recorded with its commit.
. "$(dirname "$0")/lib.sh"
container_setup
install_runner
cd "$AERO_TMP" || exit 1

case_ "aeromancy new, then aeromancy go in a container"
run "$RUNNER" new demo
assert_rc 0
cd demo || exit 1
run "$RUNNER" go -- --epochs 4
assert_rc 0
assert_contains "$err" "2 ok, 0 failed"
assert_eq "$(sql "select count(*) from runs where mode = 'prod' and status = 'ok'")" 2
assert_eq "$(sql "select group_concat(distinct git_branch) from runs")" "start"
assert_eq "$(sql "select group_concat(distinct git_commit) from runs")" "$(git rev-parse HEAD)"
assert_eq "$(sql "select group_concat(distinct plugin_path) from runs")" "/plugin/demo.so"
assert_eq "$(git status --porcelain)" "" "the run left files in the project"

done_
