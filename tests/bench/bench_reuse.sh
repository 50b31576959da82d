#!/usr/bin/env bash
# bench_reuse: an unchanged re-run. The bench_steps plugin's N independent
# actions (each declares one small file) run once to fill the store; then
# the same run again, where every action is reused (a run `reused` is
# recorded per action, nothing is executed), against GNU make's no-op
# re-run of the same graph of N `touch` steps (everything up to date), and,
# for the largest size, `make -q` on it (only asks whether anything is out
# of date). Sizes: BENCH_REUSE_SIZES (default "1000 100000"); filling the
# store for 100,000 actions takes minutes (eatmydata, from
# cmake/install-deps.sh test, makes it a few).
. "$(dirname "$0")/lib.sh"

plugin="$AERO_FIXTURES/bench_steps.so"
[[ -f $plugin ]] || die "no $plugin: build the fixture plugins"
command -v make >/dev/null || die "GNU make is missing (cmake/install-deps.sh test)"
cd "$bench_dir" || die "cannot enter $bench_dir"
read -r -a sizes <<<"${BENCH_REUSE_SIZES:-1000 100000}"

fill_prefix=()
command -v eatmydata >/dev/null && fill_prefix=(eatmydata)
declare -A t_reuse t_make t_makeq t_floor per c_reuse c_makeq
# cpu JSON INDEX: mean user + system seconds of the INDEX-th command.
cpu() {
  python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print("%.9f" % (r["user"] + r["system"]))' \
    "$1" "$2"
}
# The record's floor (below): the N reused runs an unchanged re-run must
# record, each found by its key, in one statement of the sqlite3 shell.
cat >"$bench_dir/floor.sql" <<'SQL'
PRAGMA foreign_keys = ON;
PRAGMA synchronous = NORMAL;
BEGIN;
INSERT INTO run_records (entity, project, job_type, job_group, outputs, mode,
  status, started_at, ended_at, reused_run, invocation_id)
SELECT r.entity, r.project, r.job_type, r.job_group, r.outputs, r.mode,
  'reused', r.started_at, r.ended_at, r.id, r.invocation_id
FROM run_keys k CROSS JOIN run_records r ON r.id = k.run_id
WHERE r.status = 'ok';
COMMIT;
SQL
for n in "${sizes[@]}"; do
  export AEROMANCY_STORE="$bench_dir/store$n"
  make_graph "$bench_dir/w$n" "$n" wide
  make -s -C "$bench_dir/w$n" >/dev/null 2>&1 || die "make failed on $n steps"
  note "filling the store with $n actions"
  # Not measured: in this process (no fork per action; the reuse key does
  # not depend on isolation) and, when eatmydata is installed, without
  # syncs: 3.4 ms per action instead of 5.8 (-j 2) with the machine busy.
  "${fill_prefix[@]}" "$AEROHOST" run "$plugin" --dev --no-isolation -- \
    --actions "$n" --shape wide >"$bench_dir/fill$n.log" 2>&1 ||
    die "aerohost run failed: $(tail -2 "$bench_dir/fill$n.log" | tr '\n' ' ')"
  "$AEROHOST" run "$plugin" --dev -- --actions "$n" --shape wide \
    >"$bench_dir/check$n.log" 2>&1
  grep -q "0 ok, $n reused" "$bench_dir/check$n.log" ||
    die "the re-run of $n actions did not reuse them all: $(tail -1 "$bench_dir/check$n.log")"
  runs=5
  ((n > 10000)) && runs=3
  note "timing the unchanged re-run of $n actions"
  hf "$bench_dir/reuse$n.json" --warmup 1 --runs "$runs" \
    -n "aerohost re-run" "$AEROHOST run $plugin --dev -- --actions $n --shape wide" \
    -n "make (no-op)" "make -s -C $bench_dir/w$n" \
    -n "make -q" "make -q -C $bench_dir/w$n"
  t_reuse[$n]=$(median "$bench_dir/reuse$n.json" 0)
  t_make[$n]=$(median "$bench_dir/reuse$n.json" 1)
  t_makeq[$n]=$(median "$bench_dir/reuse$n.json" 2)
  per[$n]=$(calc "${t_reuse[$n]} / $n * 1e6")
  # CPU time (user + system, means): what the machine's load moves less.
  c_reuse[$n]=$(cpu "$bench_dir/reuse$n.json" 0)
  c_makeq[$n]=$(cpu "$bench_dir/reuse$n.json" 2)
  # The floor of the record: what SQLite alone costs to record the N
  # reused runs an unchanged re-run must record, each found by its key,
  # in one statement of the sqlite3 shell on a copy of the same store (no
  # output checked, no input, no process, no console). Timed separately:
  # each run starts from the copy.
  note "timing the record's floor in the sqlite3 shell ($n runs)"
  sqlite3 "$AEROMANCY_STORE/aeromancy.db" ".backup '$bench_dir/floor$n.orig'" ||
    die "cannot copy the store for the floor"
  hf "$bench_dir/floor$n.json" --warmup 1 --runs "$runs" \
    --prepare "cp $bench_dir/floor$n.orig $bench_dir/floor$n.db && rm -f $bench_dir/floor$n.db-wal $bench_dir/floor$n.db-shm" \
    -n "sqlite3 floor" "sqlite3 $bench_dir/floor$n.db < $bench_dir/floor.sql"
  t_floor[$n]=$(median "$bench_dir/floor$n.json" 0)
  rm -f "$bench_dir/floor$n".*
done

echo "## Unchanged re-run (bench_reuse)"
echo
echo "The bench_steps plugin's N independent actions, run once, then again with"
echo "nothing changed: every action is reused (its run recorded \`reused\`, no"
echo "process started). Beside it, GNU make on the same graph of N \`touch\` steps,"
echo "everything up to date: its no-op run, and \`make -q\`. Medians of hyperfine"
echo "runs; each aerohost re-run records N more runs, so the store grows by N"
echo "runs per timed run. \"SQLite floor\": the sqlite3 shell recording the same"
echo "N reused runs, each found by its reuse key, in one INSERT ... SELECT on a"
echo "copy of the same store: what the record alone costs, before any output is"
echo "checked; its ratio is to \`make -q\`."
echo
echo "| actions | aerohost re-run (ms) | µs per action | make no-op (ms) | ratio | make -q (ms) | ratio | CPU ratio to make -q | SQLite floor (ms) | floor / make -q |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  echo "| $n | $(ms "${t_reuse[$n]}") | $(python3 -c "print('%.1f' % ${per[$n]})") |" \
       "$(ms "${t_make[$n]}") | $(ratio "${t_reuse[$n]}" "${t_make[$n]}") |" \
       "$(ms "${t_makeq[$n]}") | $(ratio "${t_reuse[$n]}" "${t_makeq[$n]}") |" \
       "$(ratio "${c_reuse[$n]}" "${c_makeq[$n]}") |" \
       "$(ms "${t_floor[$n]}") | $(ratio "${t_floor[$n]}" "${t_makeq[$n]}") |"
done
echo
small=${sizes[0]}
large=${sizes[${#sizes[@]} - 1]}
target "unchanged re-run of $small actions at most make's no-op re-run (ratio ≤ 1)" \
  "$(python3 -c "print(1 if ${t_reuse[$small]} <= ${t_make[$small]} else 0)")"
target "unchanged re-run of $large actions at most \`make -q\` on $large targets" \
  "$(python3 -c "print(1 if ${t_reuse[$large]} <= ${t_makeq[$large]} else 0)")"
