#!/usr/bin/env bash
# Selecting a tracker backend plugin by name: `aerohost run --backend NAME`
# and `[store] backend` in aeromancy.ini, with a second real backend
# (tests/plugins/tracker-journal.c, which writes one line per call to
# STORE/journal.txt) beside tracker-local.
. "$(dirname "$0")/../lib.sh"

PLUGIN="$AERO_FIXTURES/trk_pipeline.so"
unset AEROMANCY_CONFIG XDG_DATA_HOME
export AEROMANCY_PLUGIN_PATH="$AEROMANCY_PLUGIN_PATH:$AERO_FIXTURES"
mkdir -p "$AERO_TMP/proj"
cd "$AERO_TMP/proj" || exit 1

case_ backend_flag_selects_the_plugin
run "$AEROHOST" run "$PLUGIN" --dev --only ingest --backend journal \
  --store "$AERO_TMP/j1"
assert_rc 0
journal=$(cat "$AERO_TMP/j1/journal.txt" 2>/dev/null)
assert_contains "$journal" "run_begin trk ingest dev"
assert_contains "$journal" "put_output raw 1"
assert_contains "$journal" "run_end 2"
[[ ! -e $AERO_TMP/j1/aeromancy.db ]] || fail "tracker-local wrote the store"

case_ fsck_through_the_selected_backend_counts_its_problems
# The journal's check reports one problem and counts it: a failed check.
run env AEROMANCY_BACKEND=journal "$AEROMANCY" fsck --store "$AERO_TMP/j1"
assert_rc 1
assert_contains "$out" "$(printf 'problem\tjournal\ta journal keeps')"
assert_contains "$err" "1 problems in"

case_ fsck_distrusts_a_backend_whose_count_and_reports_disagree
run env AEROMANCY_BACKEND=journal JOURNAL_CHECK_MISCOUNT=1 "$AEROMANCY" fsck \
  --store "$AERO_TMP/j1"
assert_rc 2
assert_one_line "$err"
assert_contains "$err" "the backend counted 2 problems but reported 1 in"
assert_contains "$err" "not trusting this check"

case_ ini_store_backend_selects_the_plugin
printf '[store]\nbackend = journal\npath = j2\n' >aeromancy.ini
run env -u AEROMANCY_STORE "$AEROHOST" run "$PLUGIN" --dev --only ingest
assert_rc 0
assert_contains "$(cat "$AERO_TMP/proj/j2/journal.txt" 2>/dev/null)" \
  "run_begin trk ingest dev"

case_ flag_wins_over_the_ini
run "$AEROHOST" run "$PLUGIN" --dev --only ingest --backend local \
  --store "$AERO_TMP/l1"
assert_rc 0
assert_eq "$(sqlite3 -batch -noheader "$AERO_TMP/l1/aeromancy.db" \
  "SELECT count(*) FROM runs")" 1
rm -f aeromancy.ini

case_ unknown_backend_is_one_line_exit_3
run "$AEROHOST" run "$PLUGIN" --dev --backend nosuch --store "$AERO_TMP/n"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--backend: tracker backend 'nosuch' not found"
[[ ! -e $AERO_TMP/n ]] || fail "a store was created for a missing backend"

case_ unknown_backend_in_the_ini_names_file_and_line
printf '[store]\n\nbackend = nosuch\n' >aeromancy.ini
run "$AEROHOST" run "$PLUGIN" --dev --store "$AERO_TMP/n"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "aeromancy.ini:3: [store] backend: tracker backend"
rm -f aeromancy.ini

case_ bad_backend_name_is_refused
run "$AEROHOST" run "$PLUGIN" --dev --backend ../x --store "$AERO_TMP/n"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "invalid tracker backend name '../x'"

case_ a_backend_lacking_a_required_member_is_refused_once
mkdir -p "$AERO_TMP/plugins"
cp "$AERO_FIXTURES/ldr_backend.so" "$AERO_TMP/plugins/tracker-ldrnull.so"
LDR_BACKEND_CASE=no_resolve AEROMANCY_PLUGIN_PATH="$AERO_TMP/plugins" \
  run "$AEROHOST" run "$PLUGIN" --dev --backend ldrnull --store "$AERO_TMP/n"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "backend 'ldrnull' has no resolve"

case_ a_plugin_registering_another_backend_is_refused
cp "$AERO_FIXTURES/tracker-journal.so" "$AERO_TMP/plugins/tracker-other.so"
AEROMANCY_PLUGIN_PATH="$AERO_TMP/plugins" \
  run "$AEROHOST" run "$PLUGIN" --dev --backend other --store "$AERO_TMP/n"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "registers backend 'journal', expected 'other'"

case_ list_needs_no_backend
run "$AEROHOST" run "$PLUGIN" --list --backend nosuch
assert_rc 0

case_ slurm_needs_a_team_store
# Each job's aerohost records its run from its node: a folder here is
# refused before anything is submitted (no sbatch is needed to see it).
run env -u AEROMANCY_BACKEND "$AEROHOST" run "$PLUGIN" --dev --executor slurm \
  --store "$AERO_TMP/slurm-local"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--executor slurm needs the team store"
assert_contains "$err" "$AERO_TMP/slurm-local"
[[ ! -e $AERO_TMP/slurm-local/aeromancy.db ]] || fail "the store was written"
[[ ! -e aeromancy-slurm ]] || fail "a job folder was made"

done_
