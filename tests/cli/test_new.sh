#!/usr/bin/env bash
# `aeromancy new NAME [DIR]`: a ready project (CMakeLists with
# find_package(Aeromancy), aeromain.c with one builder, two actions and typed
# flags, aeromancy.ini, .gitignore, README), a git repository with a first
# commit on main and a feature branch checked out; it builds and runs at
# once with `aeromancy go --dev`. Bad names and occupied folders are
# refused with one line.
. "$(dirname "$0")/../lib.sh"

export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="aeromancy tests" GIT_AUTHOR_EMAIL="tests@aeromancy.invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
cd "$AERO_TMP" || exit 1

case_ "new writes the project and commits it on main, then a feature branch"
run "$AEROMANCY" new demo
assert_rc 0
assert_contains "$err" "created the project demo in demo"
for f in CMakeLists.txt aeromain.c aeromancy.ini .gitignore README.md; do
  [[ -s demo/$f ]] || fail "demo/$f missing or empty"
done
assert_contains "$(cat demo/CMakeLists.txt)" "find_package(Aeromancy REQUIRED)"
assert_contains "$(cat demo/CMakeLists.txt)" "aeromancy_add_plugin(demo "
assert_contains "$(cat demo/aeromancy.ini)" "name = demo"
readme=$(cat demo/README.md)
assert_contains "$readme" "cmake -S . -B build && cmake --build build"
assert_contains "$readme" "aeromancy go --dev"
assert_contains "$readme" "aeromancy go -- "
run grep -rl '@NAME@' demo --exclude-dir=.git
assert_eq "$out" "" "files with placeholders left"
assert_eq "$(git -C demo branch --show-current)" "start"
assert_eq "$(git -C demo rev-list --count main)" "1"
assert_eq "$(git -C demo status --porcelain)" ""

case_ "the new project runs at once with aeromancy go --dev"
(cd demo && "$AEROMANCY" go --dev -- --epochs 3 --verbose) >"$AERO_TMP/out" 2>"$AERO_TMP/err"
rc=$?
err=$(cat "$AERO_TMP/err")
assert_rc 0
assert_contains "$err" "2 ok, 0 failed"
assert_contains "$err" "epoch 2: mean"
assert_eq "$(sql "select count(*) from runs where status = 'ok'")" 2
# fit reads --verbose: it is in fit's config, so dropping it reruns fit
# (reused, it would print no epoch lines), and prepare is reused.
(cd demo && "$AEROMANCY" go --dev -- --epochs 3) >"$AERO_TMP/out" 2>"$AERO_TMP/err"
rc=$?
err=$(cat "$AERO_TMP/err")
assert_rc 0
assert_contains "$err" "1 ok, 1 reused, 0 failed"
# The project's typed flags are checked by aerohost.
(cd demo && "$AEROMANCY" go --dev -- --epochs many) >"$AERO_TMP/out" 2>"$AERO_TMP/err"
rc=$?
assert_rc 3
# Tab after `aeromancy go --` offers the flags of the plugin go just built.
reply=$(cd demo && PATH="$(dirname "$AEROHOST"):$PATH" bash -c '
  . "$1/aerohost"; . "$1/aeromancy"
  COMP_WORDS=(aeromancy go --dev -- --le); COMP_CWORD=4
  _aeromancy aeromancy --le --; echo "${COMPREPLY[*]}"' _ "$AERO_BUILD_DIR/host/docs/completion")
assert_eq "$reply" "--learning-rate"
# Building left the tree clean: the build folders are ignored.
assert_eq "$(git -C demo status --porcelain)" ""

case_ "new PROJECT DIR, --no-git, --branch"
run "$AEROMANCY" new other "$AERO_TMP/sub" --no-git
assert_rc 0
[[ -f sub/aeromain.c && ! -e sub/.git ]] || fail "--no-git: files without .git expected"
mkdir empty
run "$AEROMANCY" new third empty --branch exp-1
assert_rc 0
assert_eq "$(git -C empty branch --show-current)" "exp-1"

case_ "without a git identity the first commit is still made, and said so"
(unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
 HOME="$AERO_TMP/nohome" "$AEROMANCY" new anon) >"$AERO_TMP/out" 2>"$AERO_TMP/err"
rc=$?
err=$(cat "$AERO_TMP/err")
assert_rc 0
assert_contains "$err" "git has no user.name/user.email"
assert_eq "$(git -C anon log -1 --format=%an)" "aeromancy new"

case_ "bad input: one line, exit 3, nothing written"
run "$AEROMANCY" new 9lives
assert_rc 3
assert_contains "$err" "'9lives' is not a usable project name"
assert_one_line "$err"
[[ ! -e 9lives ]] || fail "a folder was made for a bad name"
# Names CMake keeps for its own targets: the plugin's target is the name.
for reserved in all clean install help test edit_cache; do
  run "$AEROMANCY" new "$reserved"
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "'$reserved' is not a usable project name: CMake keeps"
  [[ ! -e $reserved ]] || fail "a folder was made for '$reserved'"
done
run "$AEROMANCY" new demo
assert_rc 3
assert_contains "$err" "demo exists and is not empty"
assert_one_line "$err"
run "$AEROMANCY" new x --branch main
assert_rc 3
assert_contains "$err" "refuse main"
run "$AEROMANCY" new y --branch 'bad..branch'
assert_rc 3
assert_contains "$err" "--branch 'bad..branch' is not a valid git branch name"
assert_one_line "$err"
[[ ! -e y ]] || fail "a folder was made for a bad --branch"
run "$AEROMANCY" new
assert_rc 3
assert_one_line "$err"
# A folder of 4,090 bytes: mkdir takes it, but its files' paths pass
# PATH_MAX. Cut to fit, they named other files (DIR/CMakeLis).
deep=$PWD
while ((${#deep} < 3880)); do deep+=/$(printf 'd%.0s' {1..200}); done
mkdir -p "$deep" || fail "cannot make $deep"
last=$(printf 'p%.0s' $(seq $((4090 - ${#deep} - 1))))
run "$AEROMANCY" new deep "$deep/$last" --no-git
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "the folder's path is too long for its files"
[[ ! -e $deep/$last ]] || fail "a folder was made for a path too long: $(ls "$deep/$last")"

done_
