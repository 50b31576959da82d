#!/usr/bin/env bash
# Bash completion of aerohost and aeromancy, as bash runs it: the generated
# scripts are sourced, `complete -p` names the functions, and each case sets
# COMP_WORDS/COMP_CWORD as bash would and calls the function. Project flags
# after -- come from the plugin itself (aerohost describe --json).
. "$(dirname "$0")/../lib.sh"

comp="$AERO_BUILD_DIR/host/docs/completion"
demo="$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so"
export PATH="$(dirname "$AEROHOST"):$PATH"

# complete_ WORDS...: what Tab offers for the last word, space-separated.
complete_() {
  bash -c '
    . "$1/aerohost"; . "$1/aeromancy"; shift
    fn=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    echo "${COMPREPLY[*]}"' _ "$comp" "$@"
}

case_ "complete -p registers both programs"
run bash -c ". '$comp/aerohost'; . '$comp/aeromancy'; complete -p aerohost aeromancy"
assert_rc 0
assert_contains "$out" "complete -F _aerohost aerohost"
assert_contains "$out" "complete -F _aeromancy aeromancy"

case_ "aerohost: commands, then the command's options"
assert_eq "$(complete_ aerohost '')" "run list graph describe --help --version"
assert_eq "$(complete_ aerohost gr)" "graph"
assert_eq "$(complete_ aerohost run --j)" "--json --jobs"
assert_eq "$(complete_ aerohost list --j)" "--json"
assert_eq "$(complete_ aerohost graph --format '')" "dot text"

case_ "aeromancy: the values runs --status and lineage --format take"
# What each command's --help lists, so that the two cannot drift apart.
run "$AEROMANCY" runs --help
want=$(printf '%s\n' "$out" | tr '\n' ' ' | grep -o 'runs with status S: [a-z_, ]* or [a-z_]*' |
  sed 's/runs with status S: //; s/,//g; s/ or / /' | tr -s ' ')
[[ -n $want ]] || fail "runs --help lists no statuses: $out"
assert_eq "$(complete_ aeromancy runs --status '')" "$want"
assert_eq "$(complete_ aeromancy runs --status re)" "reused"
run "$AEROMANCY" lineage --help
want=$(grep -o -- '--format text|[a-z|]*' <<<"$out" | head -1 | sed 's/--format //; s/|/ /g')
[[ -n $want ]] || fail "lineage --help lists no formats: $out"
assert_eq "$(complete_ aeromancy lineage x --format '')" "$want"
mkdir -p "$AERO_TMP/cdir/store-a"
assert_eq "$(cd "$AERO_TMP/cdir" && complete_ aeromancy runs --store st)" "store-a"

case_ "every option aerohost run --help lists is offered"
run "$AEROHOST" run --help
offered=" $(complete_ aerohost run --) "
for o in $(grep -o -- '--[a-z][a-z-]*' <<<"$out" | sort -u); do
  [[ $o == --name || $o == --flag ]] && continue # prose, not options
  [[ $offered == *" $o "* ]] || fail "run --help lists $o, completion does not offer it"
done

case_ "every option each command's --help lists is offered, and store's copy"
# options_of HELP: the options a --help lists on its option lines.
options_of() {
  grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z0-9-]*' <<<"$1" | grep -oE -- '--[a-z0-9-]+' | sort -u
}
for c in run list graph describe; do
  run "$AEROHOST" "$c" --help
  offered=" $(complete_ aerohost "$c" x.so --) "
  for o in $(options_of "$out"); do
    [[ $offered == *" $o "* ]] || fail "aerohost $c --help lists $o, completion does not offer it"
  done
done
run "$AEROMANCY" --help
for c in $(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p' <<<"$out") "store copy"; do
  # shellcheck disable=SC2086 # "store copy" is two words
  run "$AEROMANCY" $c --help
  assert_rc 0
  # shellcheck disable=SC2086
  offered=" $(complete_ aeromancy $c --) "
  for o in $(options_of "$out"); do
    [[ $offered == *" $o "* ]] || fail "aeromancy $c --help lists $o, completion does not offer it"
  done
done
assert_eq "$(complete_ aeromancy store '')" "copy"
assert_eq "$(complete_ aeromancy store copy --f)" "--from-backend"

case_ "the values --executor and go's --format take, as --help lists them"
run "$AEROHOST" run --help
want=$(grep -oE -- '--executor [a-z|]+' <<<"$out" | head -1 | sed 's/--executor //; s/|/ /g')
[[ -n $want ]] || fail "aerohost run --help lists no executors: $out"
assert_eq "$(complete_ aerohost run x.so --executor '')" "$want"
assert_eq "$(complete_ aeromancy go --executor '')" "$want"
assert_eq "$(complete_ aeromancy go --executor sl)" "slurm"
want=$(grep -oE -- '--format [a-z|]+' <<<"$out" | head -1 | sed 's/--format //; s/|/ /g')
[[ -n $want ]] || fail "aerohost run --help lists no graph formats: $out"
assert_eq "$(complete_ aerohost run x.so --format '')" "$want"
assert_eq "$(complete_ aeromancy go --format '')" "$want"

case_ "project flags after -- come from the plugin"
assert_eq "$(complete_ aerohost run "$demo" -- --le)" "--learning-rate"
assert_eq "$(complete_ aerohost run "$demo" --only x -- --sh)" "--shuffle"
assert_eq "$(complete_ aerohost run "$demo" -- --no-sh)" "--no-shuffle"
assert_eq "$(complete_ aerohost run "$AERO_TMP/missing.so" -- --le)" ""

case_ "aeromancy: commands, options, help topics, project flags of --plugin"
assert_eq "$(complete_ aeromancy g)" "go gc"
offered=$(complete_ aeromancy go --de)
for o in --dev --debug --debug-shell; do
  [[ " $offered " == *" $o "* ]] || fail "aeromancy go --de<Tab> does not offer $o: $offered"
done
for o in $offered; do
  [[ $o == --de* ]] || fail "aeromancy go --de<Tab> offers $o"
done
assert_contains "$(complete_ aeromancy help '')" "aeromancy.ini"
assert_eq "$(complete_ aeromancy go --plugin "$demo" -- --le)" "--learning-rate"

done_
