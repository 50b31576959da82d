#!/usr/bin/env bash
# Man pages and --help come from one source: every command of aerohost and
# aeromancy has a section in its man page, each section says what the
# command's --help says (same words, same order), aeromancy.ini(5) says what
# `aeromancy help aeromancy.ini` says, and man --warnings finds nothing.
. "$(dirname "$0")/../lib.sh"

docs="$AERO_BUILD_DIR/host/docs"

# words: stdin as one word per line, lower case, without a trailing colon
# (headings read "Options:" in help, "OPTIONS" or bold in a man page).
words() { tr -s ' \t' '\n\n' | grep -v '^$' | tr 'A-Z' 'a-z' | sed 's/:$//'; }

# render PAGE: the page as plain text on one very wide line per paragraph
# (no line breaks, so no hyphenation), one word per line.
render() {
  MANWIDTH=4000 LC_ALL=C.UTF-8 man -E UTF-8 -l "$1" 2>/dev/null | col -bx | words
}

# assert_subsequence NEEDLE_FILE HAYSTACK_FILE WHAT: every word of NEEDLE
# appears in HAYSTACK in the same order.
assert_subsequence() {
  local -a need hay
  mapfile -t need <"$1"
  mapfile -t hay <"$2"
  local i=0 j=0
  while ((i < ${#need[@]} && j < ${#hay[@]})); do
    [[ ${need[i]} == "${hay[j]}" ]] && i=$((i + 1))
    j=$((j + 1))
  done
  ((i == ${#need[@]})) ||
    fail "$3: the man page lacks '${need[i]}' (word $i of the help) in order"
}

# help_body TEXT: a command's help without the runner's exit code table
# (the man page has that once, in EXIT STATUS) and without "usage:". A
# command's own "Exit codes: 0 ..." paragraph stays: it is in its section.
help_body() {
  sed -e '/^Exit codes:$/,$d' -e 's/^usage: //' <<<"$1"
}

case_ "man --warnings finds nothing in any page"
for page in aerohost.1 aeromancy.1 aeromancy.ini.5; do
  [[ -s $docs/$page ]] || { fail "no generated page $docs/$page"; continue; }
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$docs/$page" 2>&1 >/dev/null)
  assert_eq "$warnings" "" "man --warnings $page"
done

# commands_of HELP: the command names listed under "Commands:" (aeromancy
# lists "  NAME  summary", aerohost "  aerohost NAME ...").
commands_of() {
  sed -n '/^Commands:/,/^$/p' <<<"$1" |
    sed -n -e 's/^  aerohost \([a-z]*\).*/\1/p' -e 's/^  \([a-z][a-z0-9-]*\) .*/\1/p'
}

# check_program NAME BINARY MIN: every command NAME --help lists (at least
# MIN) has its section in NAME.1, holding the words of its --help in order.
check_program() {
  local prog=$1 bin=$2 min=$3 page="$docs/$1.1" c
  run "$bin" --help
  assert_rc 0
  mapfile -t cmds < <(commands_of "$out")
  ((${#cmds[@]} >= min)) || fail "$prog --help lists too few commands: ${cmds[*]}"
  render "$page" >"$AERO_TMP/man.words"
  for c in "${cmds[@]}"; do
    grep -q "^\.SS \"$prog $c\"$" "$page" || fail "$prog.1 has no section for the command '$c'"
    run "$bin" "$c" --help
    assert_rc 0
    assert_contains "$out" "usage: $prog $c"
    help_body "$out" | words >"$AERO_TMP/help.words"
    assert_subsequence "$AERO_TMP/help.words" "$AERO_TMP/man.words" "$prog $c"
  done
}

case_ "every aeromancy command has a man page section with its --help text"
check_program aeromancy "$AEROMANCY" 4

case_ "every aerohost command has a man page section with its --help text"
check_program aerohost "$AEROHOST" 4

# options_of HELP: the long options a --help lists (its option lines).
options_of() {
  grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z0-9-]*' <<<"$1" | grep -oE -- '--[a-z0-9-]+' |
    grep -vx -- --help | sort -u
}

# assert_named OPTION WHAT WHERE FILE...: one of FILEs (WHERE, in the
# message) names OPTION as a whole word (--force does not count for
# --force-only).
assert_named() {
  local o=$1 what=$2 where=$3
  shift 3
  grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" "$@" ||
    fail "$what lists $o, which $where never names"
}

case_ "every option a command's --help lists is named in the README or docs/"
docs_md=("$AERO_SOURCE_DIR/README.md" "$AERO_SOURCE_DIR"/docs/*.md)
run "$AEROMANCY" --help
mapfile -t cmds < <(commands_of "$out")
for c in "${cmds[@]}" "store copy"; do
  # shellcheck disable=SC2086 # "store copy" is two words
  run "$AEROMANCY" $c --help
  assert_rc 0
  for o in $(options_of "$out"); do
    assert_named "$o" "aeromancy $c --help" "README.md or docs/" "${docs_md[@]}"
  done
done
for c in run list graph describe; do
  run "$AEROHOST" "$c" --help
  assert_rc 0
  for o in $(options_of "$out"); do
    assert_named "$o" "aerohost $c --help" "README.md or docs/" "${docs_md[@]}"
  done
done

case_ "docs/runner.md names every option of aeromancy go"
run "$AEROMANCY" go --help
assert_rc 0
mapfile -t opts < <(options_of "$out")
((${#opts[@]} > 20)) || fail "aeromancy go --help lists too few options: ${opts[*]}"
for o in "${opts[@]}"; do
  assert_named "$o" "aeromancy go --help" docs/runner.md "$AERO_SOURCE_DIR/docs/runner.md"
done

case_ "docs/execution.md's table of host/exec/ has every file, and the arrows point down it"
# The table lists the executor's parts so that "a file uses only those
# listed below it": a file's rank is its row (files named in a row's text
# share it); an #include of a part must not reach a row above.
declare -A rank
row=0
while IFS= read -r line; do
  row=$((row + 1))
  for n in $(grep -oE '`[a-z_]+\.[ch]`' <<<"$line" | tr -d '`'); do
    rank[${n%.[ch]}]=$row
  done
done < <(sed -n '/^| file | what it does |$/,/^$/p' "$AERO_SOURCE_DIR/docs/execution.md" | tail -n +3)
((row > 5)) || fail "docs/execution.md: no table of host/exec/'s files found"
for f in "$AERO_SOURCE_DIR"/host/exec/*.[ch]; do
  b=$(basename "$f")
  stem=${b%.[ch]}
  [[ -n ${rank[$stem]:-} ]] || { fail "docs/execution.md's table of host/exec/ lacks $b"; continue; }
  for inc in $(sed -n 's/^#include "\([a-z_]*\)\.h"$/\1/p' "$f"); do
    [[ $inc == "$stem" || -z ${rank[$inc]:-} ]] && continue
    ((rank[$inc] >= rank[$stem])) ||
      fail "host/exec/$b includes $inc.h, which docs/execution.md lists above it"
  done
done

case_ "docs/fuzzing.md names every fuzz target ctest runs, in its table and its release loop"
fuzzing="$AERO_SOURCE_DIR/docs/fuzzing.md"
targets=$(sed -n '/^set(AERO_FUZZ_TARGETS/,/)/p' "$AERO_SOURCE_DIR/tests/CMakeLists.txt" |
  sed 's/set(AERO_FUZZ_TARGETS//; s/)//' | tr -s ' \n' '\n\n' | grep -v '^$')
[[ $(wc -l <<<"$targets") -ge 5 ]] || fail "tests/CMakeLists.txt: no AERO_FUZZ_TARGETS found"
loop=" $(sed -n 's/^for t in \(.*\); do$/\1/p' "$fuzzing") "
for t in $targets; do
  grep -q "^| \`fuzz_$t\` |" "$fuzzing" || fail "docs/fuzzing.md's table lacks fuzz_$t"
  [[ $loop == *" $t "* ]] || fail "docs/fuzzing.md's release loop lacks $t"
  [[ -f $AERO_SOURCE_DIR/tests/fuzz/fuzz_$t.c && -d $AERO_SOURCE_DIR/tests/fuzz/corpus/$t ]] ||
    fail "fuzz target $t has no tests/fuzz/fuzz_$t.c or corpus/$t/"
done

case_ "a command that says its own exit codes does not add the runner's table"
for c in rerun fsck gc new ui image; do
  run "$AEROMANCY" "$c" --help
  assert_rc 0
  assert_contains "$out" "Exit codes: 0 "
  [[ $out != *"an action failed"* ]] ||
    fail "aeromancy $c --help also lists the runner's exit codes, which contradict its own"
  # Nor go's reasons for 3, which new, ui and image never give.
  [[ $out != *"dirty tree"* ]] || fail "aeromancy $c --help lists the exit codes of go"
done
# Their own reasons (tr: the help is wrapped).
run "$AEROMANCY" new --help
assert_contains "$(tr -s ' \n' '  ' <<<"$out")" "3 a bad option or NAME, or DIR is not an empty folder"
run "$AEROMANCY" ui --help
assert_contains "$(tr -s ' \n' '  ' <<<"$out")" "3 it could not start serving: no store there"
run "$AEROMANCY" image --help
assert_contains "$(tr -s ' \n' '  ' <<<"$out")" "3 no image: a bad option or aeromancy.ini"


case_ "aerohost(1) names every environment variable aerohost reads"
# Read from the code: the host's own files and the default backend's
# (which runs inside aerohost), but not the runner's facts (runtime_env.c,
# docs/runtime-environment.md) nor what aerohost tells its own Slurm jobs.
read_vars=$(cd "$AERO_SOURCE_DIR" &&
  grep -ohE 'getenv\("(AEROMANCY|XDG)_[A-Z_]+"\)' host/*.c plugins/tracker-local/*.c \
    --exclude=runtime_env.c | sed 's/getenv("//; s/")//' | grep -v '^AEROMANCY_SLURM_' | sort -u)
[[ $read_vars == *AEROMANCY_STORE* ]] || fail "found no getenv of AEROMANCY_STORE: $read_vars"
for v in $read_vars AEROMANCY_STORE XDG_DATA_HOME AEROMANCY_BACKEND AEROMANCY_CONFIG \
  AEROMANCY_PLUGIN_PATH AEROMANCY_PLUGIN_LOAD_TIMEOUT NO_COLOR; do
  grep -q "^$v\$" <(sed -n '/^\.SH "\?ENVIRONMENT"\?$/,/^\.SH /p' "$docs/aerohost.1" |
    sed -n 's/^\.TP.*//; s/^\\fB\(.*\)\\fR$/\1/p; s/^\.B \(.*\)/\1/p') ||
    fail "aerohost.1 ENVIRONMENT does not name $v"
done

case_ "aeromancy(1) names every environment variable the runner reads"
read_vars=$(cd "$AERO_SOURCE_DIR" &&
  grep -ohE 'getenv\("(AEROMANCY|XDG)_[A-Z_]+"\)' host/runner/*.c host/runner/ui/*.c |
    sed 's/getenv("//; s/")//' | sort -u)
[[ $read_vars == *AEROMANCY_DATA_DIR* ]] || fail "found no getenv of AEROMANCY_DATA_DIR: $read_vars"
for v in $read_vars AEROMANCY_STORE AEROMANCY_BACKEND AEROMANCY_CONFIG NO_COLOR; do
  grep -q "^$v\$" <(sed -n '/^\.SH "\?ENVIRONMENT"\?$/,/^\.SH /p' "$docs/aeromancy.1" |
    sed -n 's/^\.TP.*//; s/^\\fB\(.*\)\\fR$/\1/p; s/^\.B \(.*\)/\1/p') ||
    fail "aeromancy.1 ENVIRONMENT does not name $v"
done

case_ "aeromancy.ini(5) says what aeromancy help aeromancy.ini says"
run "$AEROMANCY" help aeromancy.ini
assert_rc 0
assert_contains "$out" "passthrough = VAR, VAR"
words <<<"$out" | tr -d '[]' >"$AERO_TMP/help.words"
render "$docs/aeromancy.ini.5" | tr -d '[]' >"$AERO_TMP/man.words"
assert_subsequence "$AERO_TMP/help.words" "$AERO_TMP/man.words" "aeromancy.ini"

case_ "the runner rejects an ini key the manual does not document"
mkdir -p "$AERO_TMP/p"
printf '[project]\nname = p\n[container]\nrun_arg = -v /x:/x\n' >"$AERO_TMP/p/aeromancy.ini"
run "$AEROMANCY" go --dev --project "$AERO_TMP/p"
assert_rc 3
assert_contains "$err" "unknown key 'run_arg' in [container]"
assert_one_line "$err"

case_ "both programs' --version: the project's version, the ABI, the SDK"
version=$(sed -n 's/^project(aeromancy VERSION \([0-9.]*\).*/\1/p' "$AERO_SOURCE_DIR/CMakeLists.txt")
abi="$(sed -n 's/^#define AERO_ABI_MAJOR \([0-9]*\).*/\1/p' "$AERO_SOURCE_DIR/sdk/include/aeromancy/abi.h").$(sed -n 's/^#define AERO_ABI_MINOR \([0-9]*\).*/\1/p' "$AERO_SOURCE_DIR/sdk/include/aeromancy/abi.h")"
run "$AEROHOST" --version
assert_eq "$out" "aerohost $version (plugin ABI $abi, SDK $version)"
run "$AEROMANCY" --version
assert_eq "$out" "aeromancy $version (plugin ABI $abi, SDK $version)"

case_ "help: an unknown topic is one line and exit 3"
run "$AEROMANCY" help frobnicate
assert_rc 3
assert_contains "$err" "no help on 'frobnicate'"
assert_one_line "$err"

done_
