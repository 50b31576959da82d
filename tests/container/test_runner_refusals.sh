#!/usr/bin/env bash
# What aeromancy go refuses before anything starts: a dirty tree, untracked
# files, branch main, a malformed aeromancy.ini, an unreachable
# engine, a plugin that does not build. Each is one clear line and exit 3,
# with no container created and nothing recorded. Also: linked worktrees
# work, [git] allow_main lifts the main-branch refusal, and a project needs
# no aeromancy.ini (the runner finds its plugin target).
. "$(dirname "$0")/lib.sh"
container_setup

proj="$AERO_TMP/aerodemo"
new_project "$AERO_SOURCE_DIR/examples/aerodemo" "$proj" feature/refusals
cd "$proj" || exit 1

# refused PATTERN: the last command was refused with one line containing
# PATTERN, exit 3, no container created since $t0 and no store written.
refused() {
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "$1"
  assert_eq "$(containers_created_since "$t0")" 0 "containers created"
  [[ ! -e $AEROMANCY_STORE/aeromancy.db ]] || fail "the store was written"
}

case_ "a modified tracked file is refused and named"
echo "/* local edit */" >>actions.c
t0=$(now)
run "$AEROMANCY" go
refused "uncommitted changes"
assert_contains "$err" "M actions.c"
assert_contains "$err" "--dev"
git checkout -q -- actions.c

case_ "an untracked file is refused and named"
echo scratch >notes.txt
mkdir -p scratch && echo x >scratch/deep.txt
t0=$(now)
run "$AEROMANCY" go
refused "untracked files"
assert_contains "$err" "?? notes.txt"
assert_contains "$err" "?? scratch/deep.txt"
rm -rf notes.txt scratch

case_ "a staged change is refused"
echo "/* staged */" >>aeromain.c
git add aeromain.c
t0=$(now)
run "$AEROMANCY" go
refused "M  aeromain.c"
git reset -q --hard

case_ "branch main is refused with the way out"
git switch -q main
t0=$(now)
run "$AEROMANCY" go
refused "branch 'main'"
assert_contains "$err" "allow_main = true"
git switch -q -c master
t0=$(now)
run "$AEROMANCY" go
refused "branch 'master'"
git switch -q feature/refusals

case_ "without aeromancy.ini the runner finds the plugin target itself"
# As in the README: the plugin target is not named after the project.
git rm -q aeromancy.ini
sed -i 's/_plugin(aerodemo /_plugin(aeromain /; s/_options(aerodemo /_options(aeromain /' CMakeLists.txt
commit_all . "no ini, plugin target aeromain"
run "$AEROMANCY" go -- --epochs 2
assert_rc 0
assert_eq "$(sql "select group_concat(distinct plugin_path) from runs")" \
  "/plugin/aeromain.so"
assert_eq "$(sql "select count(*) from runs where status = 'ok'")" 3
git revert --no-edit HEAD >/dev/null
rm -rf "$AEROMANCY_STORE"

case_ "a malformed aeromancy.ini is refused with its line"
printf '[project]\nname = aerodemo\nthis line is not ini\n' >aeromancy.ini
commit_all . "break the ini"
t0=$(now)
run "$AEROMANCY" go
refused "aeromancy.ini:3:"
printf '[project]\nname = aerodemo\n[container]\nrun_arg = -v /x:/x\n' >aeromancy.ini
commit_all . "typo in the ini"
t0=$(now)
run "$AEROMANCY" go
refused "aeromancy.ini:4: unknown key 'run_arg' in [container]"
git checkout -q HEAD~2 -- aeromancy.ini && commit_all . "restore the ini"

case_ "[flags] in a file AEROMANCY_CONFIG names are refused in production"
# The container's aerohost reads the committed aeromancy.ini: they would
# be dropped without a word. --dev reads them.
printf '[project]\nname = aerodemo\n\n[flags]\nepochs = 4\n' >"$AERO_TMP/alt.ini"
t0=$(now)
run env AEROMANCY_CONFIG="$AERO_TMP/alt.ini" "$AEROMANCY" go
refused "alt.ini (AEROMANCY_CONFIG) sets [flags], which a production run does not read"

case_ "an unreachable engine is refused before anything starts"
t0=$(now)
DOCKER_HOST=unix:///nonexistent run "$AEROMANCY" go
refused "not reachable"
assert_contains "$err" "docker"

case_ "a base image no registry gives: the runner says what to do"
# No image registry is reachable from the test machines, and this name is
# in none anyway: the engine's pull fails, and the runner names the way out.
AEROMANCY_BASE_IMAGE=aeromancy-no-such-base:1 run "$AEROMANCY" image
assert_rc 3
last=$(tail -n 1 <<<"$err")
assert_contains "$last" "base image aeromancy-no-such-base:1 is not on this machine"
assert_contains "$last" "cmake/make-base-image.sh"
assert_contains "$last" "AEROMANCY_BASE_IMAGE=aeromancy-base:bookworm"

case_ "bad runner options are refused"
t0=$(now)
run "$AEROMANCY" go --extra-env-var 'A=secret'
refused "not a variable name"
run "$AEROMANCY" go --extra-docker-run-args "-v '/unterminated"
refused "unterminated single quote"
run "$AEROMANCY" go --artifact-override model
refused "NAME:VERSION"
run "$AEROMANCY" go --no-such-option
refused "unknown option --no-such-option"
run "$AEROMANCY" go --executor slurm
refused "--executor slurm needs the team store"

case_ "outside a git repository a production run is refused"
mkdir "$AERO_TMP/plain" && cp -r "$AERO_SOURCE_DIR/examples/aerodemo/." "$AERO_TMP/plain"
t0=$(now)
run "$AEROMANCY" go --project "$AERO_TMP/plain"
refused "not in a git repository"

case_ "a plugin that does not compile: exit 3, the compiler's message, no run"
echo "this is not C;" >>actions.c
commit_all . "broken action"
run "$AEROMANCY" go
assert_rc 3
assert_contains "$err" "error:"
assert_contains "$err" "building the plugin target 'aerodemo' failed"
[[ ! -e $AEROMANCY_STORE/aeromancy.db ]] || assert_eq "$(sql "select count(*) from runs")" 0 "runs recorded"
git revert --no-edit HEAD >/dev/null

case_ "a clean linked worktree runs; a dirty one is refused"
git worktree add -q -b feature/in-worktree "$AERO_TMP/wt"
cd "$AERO_TMP/wt" || exit 1
run "$AEROMANCY" go -- --epochs 2
assert_rc 0
assert_eq "$(sql "select group_concat(distinct git_branch) from runs")" "feature/in-worktree"
assert_eq "$(sql "select group_concat(distinct git_commit) from runs")" "$(git rev-parse HEAD)"
echo x >untracked-in-worktree
run "$AEROMANCY" go
assert_rc 3
assert_contains "$err" "?? untracked-in-worktree"
rm untracked-in-worktree
cd "$proj" || exit 1

case_ "[git] allow_main = true lets main run"
git switch -q main
printf '\n[git]\nallow_main = true\n' >>aeromancy.ini
commit_all . "allow main"
# --force (passed on to aerohost): the worktree case ran the same code and
# config, which would otherwise be reused rather than run.
run "$AEROMANCY" go --force -- --epochs 2
assert_rc 0
assert_eq "$(sql "select count(*) from runs where git_branch = 'main' and status in ('ok', 'reused')")" 3

done_
