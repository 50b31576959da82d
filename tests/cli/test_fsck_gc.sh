#!/usr/bin/env bash
# aeromancy fsck and gc (issue 9) on stores made by real runs of aerodemo
# and of the exec_pipeline fixture: blobs modified in place (same size and
# another size), deleted, a run left running by a killed host, and both
# commands while another aerohost is in the middle of a run.
. "$(dirname "$0")/../lib.sh"
# This script is about blob files: none is kept in the database
# (test_inline_blobs.sh covers those).
export AEROMANCY_INLINE_MAX=0

DEMO=$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so
A=$AEROMANCY
cd "$AERO_TMP" || exit 1

# blob_of NAME FILE: the path of the blob of FILE in the latest NAME.
blob_of() {
  local sha
  sha=$(sql "SELECT f.sha256 FROM version_files f JOIN artifact_versions v
             ON v.version_id = f.version_id WHERE v.name = '$1' AND f.path = '$2'
             ORDER BY v.version DESC LIMIT 1")
  echo "$AEROMANCY_STORE/blobs/${sha:0:2}/${sha:2}"
}

case_ "fsck and gc on a store that does not exist: exit 3, nothing created"
for c in fsck gc; do
  run "$A" $c
  assert_rc 3
  assert_one_line "$err"
done
[[ ! -e $AEROMANCY_STORE ]] || fail "created the store"

"$AEROHOST" run "$DEMO" --dev >/dev/null 2>&1 || fail "aerodemo"

case_ "fsck of a sound store: every blob re-hashed, exit 0"
run "$A" fsck
assert_rc 0
assert_eq "$out" ""
assert_contains "$err" "$(sql "SELECT count(DISTINCT sha256) FROM version_files") blobs re-hashed"
assert_contains "$err" "orphan blobs, 0 problems in"
# The whole check's time, never a rate of hashing: the check does more.
assert_not_contains "$err" "MB/s"
[[ $err =~ "0 problems in $AEROMANCY_STORE ("[0-9]+\.[0-9]" s)" ]] ||
  fail "no time of the whole check in: $err"

case_ "fsck checks the database file itself: a damaged page no other check reads"
# A copy of the store whose invocations table's root page is overwritten:
# aeromancy runs fails on it, and fsck must not call it sound.
cp -a "$AEROMANCY_STORE" "$AERO_TMP/damaged-db"
db=$AERO_TMP/damaged-db/aeromancy.db
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
page=$(sqlite3 "$db" "SELECT rootpage FROM sqlite_master WHERE name = 'invocations'")
[[ $page -gt 1 ]] || fail "no root page for invocations: '$page'"
head -c 4096 /dev/zero | tr '\0' '\252' |
  dd of="$db" bs=4096 seek=$((page - 1)) count=1 conv=notrunc status=none
run env AEROMANCY_STORE="$AERO_TMP/damaged-db" "$A" runs
assert_rc 2
run env AEROMANCY_STORE="$AERO_TMP/damaged-db" "$A" fsck
assert_rc 1
assert_contains "$out" "$(printf 'problem\taeromancy.db\tthe database is damaged: ')"
assert_not_contains "$err" " 0 problems"
rm -rf "$AERO_TMP/damaged-db"

case_ "fsck and gc name a store in the home folder as the run summary does: ~/..."
mkdir -p "$HOME"
cp -a "$AEROMANCY_STORE" "$HOME/st"
run env AEROMANCY_STORE="$HOME/st" "$A" fsck
assert_rc 0
[[ $err =~ "0 problems in ~/st ("[0-9]+\.[0-9]" s)" ]] || fail "not ~/st in: $err"
run env AEROMANCY_STORE="$HOME/st" "$A" gc --dry-run
assert_rc 0
assert_contains "$err" " dev runs in ~/st"
rm -rf "$HOME/st"

case_ "fsck while another aerohost is mid-run: its running run is not abandoned"
start_hanging
run "$A" fsck
assert_rc 0
assert_not_contains "$out" "abandoned"
kill -TERM "$host"
wait "$host"

case_ "fsck catches a blob modified in place with the same size"
model=$(blob_of model model.txt)
size=$(stat -c %s "$model")
chmod u+w "$model"
printf 'X' | dd of="$model" bs=1 seek=3 conv=notrunc status=none
assert_eq "$(stat -c %s "$model")" "$size"
run "$A" fsck
assert_rc 1
assert_contains "$out" "$(printf 'damaged\t%s' "$(basename "$(dirname "$model")")$(basename "$model")")"
assert_contains "$err" "orphan blobs, 1 problems in"

case_ "fsck catches a blob of another size, and a deleted blob"
train=$(blob_of dataset train.csv)
chmod u+w "$train"
echo "extra" >>"$train"
test_csv=$(blob_of dataset test.csv)
rm -f "$test_csv"
run "$A" fsck
assert_rc 1
assert_contains "$out" "$(printf 'size\t%s' "$(basename "$(dirname "$train")")$(basename "$train")")"
assert_contains "$out" "$(printf 'missing\t%s' "$(basename "$(dirname "$test_csv")")$(basename "$test_csv")")"
assert_contains "$err" "orphan blobs, 3 problems in"

case_ "fsck --repair moves damaged blobs aside; declaring the content again stores it"
run "$A" fsck --repair
assert_rc 1 # the deleted blob cannot be repaired here
assert_eq "$(grep -c ' (repaired)$' <<<"$out")" 2 "repaired lines"
assert_eq "$(grep -c '' <<<"$out")" 3 "problem lines"
assert_contains "$err" "orphan blobs, 3 problems, repaired: some in"
[[ ! -e $model && ! -e $train ]] || fail "damaged blobs were not moved aside"
[[ $(ls "$AEROMANCY_STORE/damaged" | wc -l) == 2 ]] || fail "damaged/ should hold 2 blobs"
"$AEROHOST" run "$DEMO" --dev >/dev/null 2>&1 || fail "aerodemo after repair"
run "$A" fsck
assert_rc 0
assert_contains "$err" "orphan blobs, 0 problems in"

case_ "a version's folder never serves a blob that fsck --repair moved aside"
# A view (aeromancy path, an action's input) links its version's blobs: a
# blob changed in place with its size and seal kept reads the same through
# it, and stays linked there once fsck --repair has moved the blob aside.
run "$A" path aerodemo/model
assert_rc 0
view=$out
model=$(blob_of model model.txt)
good=$(sha256sum <"$model")
chmod u+w "$model"
printf 'X' | dd of="$model" bs=1 seek=3 conv=notrunc status=none
touch -m -r "$(blob_of dataset train.csv)" "$model" # the seal, as it was
run "$A" fsck --repair
assert_rc 0
assert_contains "$out" "damaged"
run "$A" path aerodemo/model
assert_rc 2
assert_one_line "$err"
assert_contains "$err" "is missing"
run "$A" export aerodemo/model "$AERO_TMP/exported"
assert_rc 2
[[ ! -e $AERO_TMP/exported/model.txt ]] || fail "exported the damaged bytes"
# Declared again (the host stores the content anew), the folder links the
# good blob, not the damaged bytes it held.
"$AEROHOST" run "$DEMO" --dev >/dev/null 2>&1 || fail "aerodemo after repair"
run "$A" path aerodemo/model
assert_rc 0
assert_eq "$out" "$view"
assert_eq "$(sha256sum <"$view/model.txt")" "$good" "the folder's model.txt"

case_ "fsck --repair never moves aside a good copy a host stored while fsck checked"
# Two blobs damaged in place; fsck --repair moves them aside in the order
# of their names, each under the store's write lock, held here by a sqlite3
# shell: fsck waits with the first one open (hashed again: damaged). Then
# a good copy of each is renamed into place, as a host declaring that
# content does (tl_blob_ensure, which takes no lock). The lock let go, the
# rename fsck makes moves the first one's good copy (it must notice and
# put it back), and the second one hashes good again (it must stay).
mapfile -t shas < <(sql "SELECT DISTINCT sha256 FROM version_files
  WHERE size >= 4 ORDER BY sha256")
first=${shas[0]} second=${shas[${#shas[@]} - 1]}
declare -A blob
for sha in "$first" "$second"; do
  blob[$sha]=$AEROMANCY_STORE/blobs/${sha:0:2}/${sha:2}
  cp "${blob[$sha]}" "$AERO_TMP/good-$sha"
  chmod u+w "${blob[$sha]}"
  printf '\0' | dd of="${blob[$sha]}" bs=1 seek=1 conv=notrunc status=none
done
aside_before=$(ls "$AEROMANCY_STORE/damaged" | wc -l)
db=$AEROMANCY_STORE/aeromancy.db
fifo=$AERO_TMP/locker.fifo
mkfifo "$fifo"
sqlite3 -batch "$db" <"$fifo" &
locker=$!
exec {to_locker}>"$fifo"
echo "BEGIN IMMEDIATE;" >&$to_locker
write_lock_held() { ! sqlite3 "$db" "BEGIN IMMEDIATE; ROLLBACK" 2>/dev/null; }
wait_until 600 0.05 write_lock_held || fail "the locker never took the lock"
"$A" fsck --repair >"$AERO_TMP/out" 2>"$AERO_TMP/err" &
fsck=$!
# holds PID FILE: process PID has FILE open.
holds() {
  local fd
  for fd in /proc/"$1"/fd/*; do
    [[ $(readlink "$fd" 2>/dev/null) == "$2" ]] && return 0
  done
  return 1
}
# Open for long (not a moment of the hashing pass): waiting for the lock.
wait_until 600 0.05 holds "$fsck" "${blob[$first]}" && sleep 0.5 &&
  holds "$fsck" "${blob[$first]}" ||
  fail "fsck never waited to move the first blob with it open"
for sha in "$first" "$second"; do
  dir=$(dirname "${blob[$sha]}")
  cp "$AERO_TMP/good-$sha" "$dir/.tmp-test"
  chmod 0444 "$dir/.tmp-test"
  mv -f "$dir/.tmp-test" "${blob[$sha]}"
done
echo "COMMIT;" >&$to_locker
exec {to_locker}>&-
wait "$locker"
wait "$fsck"
rc=$?
out=$(cat "$AERO_TMP/out")
for sha in "$first" "$second"; do
  assert_contains "$out" "$(printf 'damaged\t%s' "$sha")"
  [[ -e ${blob[$sha]} ]] || fail "the good copy of $sha was moved aside"
  [[ -e ${blob[$sha]} ]] &&
    assert_eq "$(sha256sum <"${blob[$sha]}" | cut -d' ' -f1)" "$sha" "$sha's content"
done
assert_eq "$(ls "$AEROMANCY_STORE/damaged" | wc -l)" "$aside_before" "blobs in damaged/"
run "$A" fsck
assert_rc 0

case_ "fsck reports a run left running by a killed host; --repair records it killed"
start_abandoned sql
run "$A" fsck
assert_rc 1
assert_contains "$out" "$(printf 'abandoned\t%s\t' "$hung")"
run "$A" fsck --repair
assert_rc 0 # all repaired
assert_contains "$err" "orphan blobs, 1 problems, repaired: all in"
assert_eq "$(sql "SELECT status FROM runs WHERE id = $hung")" "killed"
run "$A" fsck
assert_rc 0

case_ "gc removes unreferenced blobs and dead scratch; --dry-run removes nothing"
orphan_hex=ab$(printf '%062d' 0)
mkdir -p "$AEROMANCY_STORE/blobs/ab" "$AEROMANCY_STORE/tmp/run-99999"
echo orphan >"$AEROMANCY_STORE/blobs/ab/${orphan_hex:2}"
echo half >"$AEROMANCY_STORE/blobs/ab/.tmp-old-XXXXXX"
touch -d '2 days ago' "$AEROMANCY_STORE/blobs/ab/.tmp-old-XXXXXX"
echo half >"$AEROMANCY_STORE/blobs/ab/.tmp-new-XXXXXX"
run "$A" fsck
assert_contains "$err" "1 orphan blobs"
run "$A" gc --dry-run
assert_rc 0
assert_contains "$out" "$(printf 'blob\t%s\t7' "$orphan_hex")"
assert_contains "$out" "$(printf 'scratch\t%s/tmp/run-99999' "$AEROMANCY_STORE")"
[[ -e $AEROMANCY_STORE/blobs/ab/${orphan_hex:2} && -d $AEROMANCY_STORE/tmp/run-99999 ]] ||
  fail "gc --dry-run removed something"
run "$A" gc
assert_rc 0
[[ ! -e $AEROMANCY_STORE/blobs/ab/${orphan_hex:2} ]] || fail "orphan blob kept"
[[ ! -e $AEROMANCY_STORE/tmp/run-99999 ]] || fail "dead scratch kept"
[[ ! -e $AEROMANCY_STORE/blobs/ab/.tmp-old-XXXXXX ]] || fail "a day-old temp file kept"
[[ -e $AEROMANCY_STORE/blobs/ab/.tmp-new-XXXXXX ]] || fail "a fresh temp file removed"
rm -f "$AEROMANCY_STORE/blobs/ab/.tmp-new-XXXXXX"
run "$A" fsck
assert_rc 0
assert_contains "$err" "0 orphan blobs"

case_ "gc that cannot remove a scratch folder says so, and lists it not as removed"
# An immutable file (chattr +i: root cannot remove it either) in the
# scratch folder of a run that is over.
mkdir -p "$AEROMANCY_STORE/tmp/run-99998/sub"
stuck=$AEROMANCY_STORE/tmp/run-99998/sub/stuck
echo stuck >"$stuck"
chattr +i "$stuck" || fail "chattr +i is needed here (e2fsprogs, ext4)"
run "$A" gc
chattr -i "$stuck"
assert_rc 2
assert_one_line "$err"
assert_contains "$err" "cannot remove $AEROMANCY_STORE/tmp/run-99998: Operation not permitted"
assert_not_contains "$out" "run-99998"
[[ -e $stuck ]] || fail "the immutable file is gone"
run "$A" gc
assert_rc 0
assert_contains "$out" "$(printf 'scratch\t%s/tmp/run-99998' "$AEROMANCY_STORE")"
[[ ! -e $AEROMANCY_STORE/tmp/run-99998 ]] || fail "the scratch folder stayed"

case_ "gc while another aerohost is mid-run keeps what it may need, and the run ends well"
echo orphan >"$AEROMANCY_STORE/blobs/ab/${orphan_hex:2}"
start_hanging
running=$(sql "SELECT id FROM runs WHERE status = 'running'")
run "$A" gc --keep-dev 0
assert_rc 0
assert_contains "$err" "a run is in progress"
[[ -e $AEROMANCY_STORE/blobs/ab/${orphan_hex:2} ]] || fail "gc removed a blob while a host was running"
assert_eq "$(sql "SELECT status FROM runs WHERE id = $running")" "running"
kill -TERM "$host"
wait "$host"
assert_eq "$(sql "SELECT status FROM runs WHERE id = $running")" "killed"
run "$A" fsck
assert_rc 0

case_ "gc --keep-dev DAYS removes finished dev runs older than that, and their blobs"
blob_files() { find "$AEROMANCY_STORE/blobs" -type f | wc -l; }
keep_dev_removes_runs sql blob_files
assert_eq "$(sql "SELECT count(*) FROM metric_blocks")" 0 "metric blocks left"
assert_eq "$(sql "SELECT count(*) FROM metric_summaries")" 0 "metric summaries left"
for bad in soon nan -1 1e6; do
  run "$A" gc --keep-dev "$bad"
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "--keep-dev '$bad' is not a number of days"
done

case_ "fsck hashes every blob (two threads share them): each one changed is reported"
new_store every-blob
"$AEROHOST" run "$DEMO" --dev >/dev/null 2>&1 || fail "aerodemo"
blobs=$(sql "SELECT DISTINCT sha256 FROM version_files")
for sha in $blobs; do
  f=$AEROMANCY_STORE/blobs/${sha:0:2}/${sha:2}
  chmod u+w "$f"
  # The first byte flipped: same size, another digest.
  first=$(head -c 1 "$f" | od -An -tu1 | tr -d ' ')
  printf "\\$(printf '%03o' $((first ^ 1)))" | dd of="$f" bs=1 conv=notrunc status=none
done
run "$A" fsck
assert_rc 1
n=$(wc -w <<<"$blobs")
((n >= 4)) || fail "aerodemo stored only $n blobs"
assert_eq "$(grep -c $'^damaged\t' <<<"$out")" "$n"
for sha in $blobs; do
  assert_contains "$out" "$(printf 'damaged\t%s' "$sha")"
done
assert_contains "$err" "orphan blobs, $n problems in"

case_ "fsck decodes every metric block: a damaged one and a summary that disagrees are reported, the points kept"
new_store metric-blocks
"$AEROHOST" run "$DEMO" --dev >/dev/null 2>&1 || fail "aerodemo"
train=$(sql "SELECT max(run_id) FROM metric_blocks WHERE key = 'loss'")
[[ -n $train ]] || fail "no run stored a loss metric"
block=$(sql "SELECT max(id) FROM metric_blocks WHERE run_id = $train")
blocks=$(sql "SELECT count(*) FROM metric_blocks")
saved=$(sql "SELECT hex(vals) FROM metric_blocks WHERE id = $block")
sql "UPDATE metric_blocks SET vals = substr(vals, 1, length(vals) - 1) WHERE id = $block"
sql "UPDATE metric_summaries SET count = count + 1 WHERE run_id = $train AND key = 'loss'"
# A summary renamed: blocks with no summary, and a summary with no blocks.
lost=$(sql "SELECT run_id || ' ' || key FROM metric_summaries WHERE key != 'loss' LIMIT 1")
[[ -n $lost ]] || fail "aerodemo logged no metric but loss"
sql "UPDATE metric_summaries SET key = key || '-gone' WHERE run_id = ${lost%% *} AND key = '${lost#* }'"
run "$A" fsck
assert_rc 1
assert_contains "$err" "orphan blobs, 4 problems in"
assert_contains "$out" "run ${lost%% *}, metric '${lost#* }': its blocks hold"
assert_contains "$out" "points and it has no summary"
assert_contains "$out" "run ${lost%% *}, metric '${lost#* }-gone': its summary counts"
assert_contains "$out" "points and it has no blocks"
# Each bad summary is its own subject, named by run and key.
assert_contains "$out" "$(printf 'metric-summary-%s-%s\t' "${lost%% *}" "${lost#* }")"
assert_contains "$out" "$(printf 'metric-summary-%s-%s-gone\t' "${lost%% *}" "${lost#* }")"
assert_contains "$out" "$(printf 'metric-summary-%s-loss\t' "$train")"
assert_eq "$(cut -f2 <<<"$out" | sort | uniq -d)" "" "subjects named twice"
sql "UPDATE metric_summaries SET key = '${lost#* }' WHERE run_id = ${lost%% *} AND key = '${lost#* }-gone'"
assert_contains "$out" "$(printf 'metric-block-%s\t' "$block")"
assert_contains "$out" "metric block $block of run $train"
assert_contains "$out" "its arrays do not hold"
assert_contains "$out" "metric 'loss': its summary counts"
run "$A" fsck --repair
assert_rc 1 # nothing of this is repaired
assert_eq "$(sql "SELECT count(*) FROM metric_blocks")" "$blocks" "blocks after --repair"
run "$A" metrics "$train"
assert_rc 2
assert_one_line "$err"
assert_contains "$err" "metric block $block is damaged"
sql "UPDATE metric_blocks SET vals = x'$saved' WHERE id = $block"
sql "UPDATE metric_summaries SET count = count - 1 WHERE run_id = $train AND key = 'loss'"
run "$A" fsck
assert_rc 0

case_ "fsck names what is wrong inside a metric block"
block=$(sql "SELECT id FROM metric_blocks WHERE count >= 2 AND first_step < last_step LIMIT 1")
[[ -n $block ]] || fail "no block of two steps or more"
IFS='|' read -r steps vals first last < <(sql "SELECT hex(steps), hex(vals),
  first_step, last_step FROM metric_blocks WHERE id = $block")
# damage SET-CLAUSE MESSAGE: the block changed so, fsck says MESSAGE.
damage() {
  sql "UPDATE metric_blocks SET $1 WHERE id = $block" ||
    fail "damaging block $block"
  run "$A" fsck
  assert_rc 1
  assert_contains "$out" "metric block $block of run"
  assert_contains "$out" "is damaged: $2"
  sql "UPDATE metric_blocks SET steps = x'$steps', vals = x'$vals',
    first_step = $first, last_step = $last WHERE id = $block"
}
damage "first_step = first_step + 1" "first_step is not its lowest step"
damage "last_step = last_step - 1" "last_step is not its highest step"
damage "steps = substr(steps, 9, 8) || substr(steps, 1, 8) || substr(steps, 17)" \
  "steps out of order"
damage "steps = x'FEFFFFFFFFFFFFFF' || substr(steps, 9)" "a negative step"
damage "vals = x'000000000000F07F' || substr(vals, 9)" \
  "a value that is not a finite number"
run "$A" fsck
assert_rc 0

case_ "a block whose count is past what a blob holds is damaged, not read past its arrays"
# 8 * (2^61 + 1) wraps to 8: each array cut to its first point matched it,
# and fsck and the reader walked 2^61 points past the blob (ASan: read
# out of bounds; else a crash).
IFS='|' read -r run_of count times < <(sql "SELECT run_id, count, hex(times)
  FROM metric_blocks WHERE id = $block")
sql "UPDATE metric_blocks SET count = 2305843009213693953,
  steps = substr(steps, 1, 8), vals = substr(vals, 1, 8),
  times = substr(times, 1, 8) WHERE id = $block"
run "$A" fsck
assert_rc 1
assert_contains "$out" "metric block $block of run $run_of"
assert_contains "$out" "its arrays do not hold"
run "$A" metrics "$run_of"
assert_rc 2
assert_one_line "$err"
assert_contains "$err" "metric block $block is damaged"
sql "UPDATE metric_blocks SET count = $count, steps = x'$steps', vals = x'$vals',
  times = x'$times' WHERE id = $block"
run "$A" fsck
assert_rc 0

case_ "fsck adds up a key's blocks wherever they lie: KEY KEY OTHER KEY is sound"
run_id=$(sql "SELECT run_id FROM metric_blocks GROUP BY run_id HAVING count(DISTINCT key) >= 2 LIMIT 1")
[[ -n $run_id ]] || fail "no run logged two metrics"
IFS='|' read -r one other < <(sql "SELECT min(key), max(key) FROM metric_blocks WHERE run_id = $run_id")
# copy KEY: one more block of KEY (a copy of its first, equal steps are
# allowed across blocks) and its points added to the summary.
copy() {
  sql "INSERT INTO metric_blocks (run_id, key, count, first_step, last_step,
         steps, vals, times)
       SELECT run_id, key, count, first_step, last_step, steps, vals, times
       FROM metric_blocks WHERE run_id = $run_id AND key = '$1' ORDER BY id LIMIT 1;
       UPDATE metric_summaries SET count = count + (SELECT count FROM metric_blocks
         WHERE id = last_insert_rowid()) WHERE run_id = $run_id AND key = '$1'" ||
    fail "copying a block of $1"
}
copy "$one"
copy "$one"
copy "$other"
copy "$one"
run "$A" fsck
assert_rc 0
assert_eq "$out" ""
sql "UPDATE metric_summaries SET count = count - 1 WHERE run_id = $run_id AND key = '$one'"
run "$A" fsck
assert_rc 1
assert_contains "$out" "run $run_id, metric '$one': its summary counts"
# The last key of all (after the last summary) without its summary.
IFS='|' read -r last_run last_key < <(sql "SELECT run_id, key FROM metric_blocks
  ORDER BY run_id DESC, key DESC LIMIT 1")
sql "DELETE FROM metric_summaries WHERE run_id = $last_run AND key = '$last_key'"
run "$A" fsck
assert_rc 1
assert_contains "$out" "run $last_run, metric '$last_key': its blocks hold"


# gc_within SECONDS ARGS...: runs `aeromancy gc ARGS` (its output in
# $AERO_TMP/out and err) and fails when it took SECONDS of CPU or more.
# A second past that the kernel stops it (ulimit -t): a runaway gc costs
# no more.
gc_within() {
  local limit=$1 cpu wall user sys
  shift
  # Not `exec` in the subshell: in $(...), bash would then run gc in place
  # of the shell that times it. The times are the last line (the shell
  # says "Killed" first when the kernel stopped gc).
  cpu=$( { TIMEFORMAT='%R %U %S'; time (ulimit -c 0 -t $((limit + 1)) &&
    "$A" gc "$@" >"$AERO_TMP/out" 2>"$AERO_TMP/err"); } 2>&1 )
  read -r wall user sys < <(tail -n 1 <<<"$cpu")
  awk -v u="$user" -v s="$sys" -v l="$limit" 'BEGIN { exit !(u + s < l) }' ||
    fail "gc took $user s of user and $sys s of system CPU ($wall s): $limit s at most"
}
case_ "gc --keep-dev of 22,000 reused runs: one scan of the runs, not one per run deleted"
# Deleting a run has SQLite look for the runs reusing it (the foreign key
# on reused_run), which without an index is a scan of every run: about
# 27 s of CPU here for these runs (ASan build), against 2-3 s with the
# index gc builds for its deletes and drops again (collect.c).
export AEROMANCY_STORE=$AERO_TMP/many-reused
S=$AERO_FIXTURES/bench_steps.so
for i in $(seq 0 10); do
  "$AEROHOST" run "$S" --dev --no-isolation -- --actions 2000 --shape wide >/dev/null 2>&1 ||
    fail "bench_steps run $i"
done
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'reused'")" 20000
schema=$(sql "SELECT name FROM sqlite_schema ORDER BY name")
gc_within 10 --keep-dev 0
assert_contains "$(cat "$AERO_TMP/err")" " 22000 dev runs in "
assert_eq "$(sql "SELECT count(*) FROM runs")" 0
# The index is gone with the transaction: the schema is as it was.
assert_eq "$(sql "SELECT name FROM sqlite_schema ORDER BY name")" "$schema"
run "$A" fsck
assert_rc 0

case_ "gc --keep-dev of a chain a newer run reads: what it needs kept in one pass, the rest removed"
# 4,200 chained actions (each reads the version of the one before), then
# step-3999 run again later: gc keeps it, so the run of the version it
# read, then the run of the version that one read, and so on down to
# step-0; step-4000 on are removed. gc finds the 4,000 in one pass
# (collect.c); keeping one link of the chain per round, as it did, costs
# the square of the chain's length: about 6.6 s of CPU here for 3,000
# links (ASan build), against under 1 s for this gc now.
export AEROMANCY_STORE=$AERO_TMP/chain-read
"$AEROHOST" run "$S" --dev --no-isolation -- --actions 4200 --shape chain \
  >/dev/null 2>&1 || fail "bench_steps chain"
old=$(date +%s%N)
sleep 2
"$AEROHOST" run "$S" --dev --no-isolation --force --only step-3999 -- \
  --actions 4200 --shape chain >/dev/null 2>&1 || fail "bench_steps step-3999"
assert_eq "$(sql "SELECT count(*) FROM runs WHERE status = 'ok'")" 4201
first=$(sql "SELECT min(id) FROM runs")
again=$(sql "SELECT max(id) FROM runs")
# The premise: the chain's runs are first..first+4199, in the chain's order.
assert_eq "$(sql "SELECT count(*) FROM run_inputs i JOIN versions v ON
  v.id = i.version_id WHERE i.run_id < $again AND v.run_id = i.run_id - 1")" 4199
schema=$(sql "SELECT name FROM sqlite_schema ORDER BY name")
# Ended 1 s after the first run's end at the latest (the time gc takes
# to start is added): the first run's 4,200 runs, not the second's.
days=$(awk -v o="$old" -v n="$(date +%s%N)" 'BEGIN { printf "%.12f", (n - o - 1e9) / 864e11 }')
gc_within 4 --keep-dev "$days"
assert_contains "$(cat "$AERO_TMP/err")" " 200 dev runs in "
assert_eq "$(sql "SELECT count(*) || ' ' || min(id) || ' ' || max(id) FROM runs
  WHERE id < $again")" "4000 $first $((first + 3999))"
assert_eq "$(sql "SELECT count(*) FROM runs WHERE id = $again")" 1
assert_eq "$(sql "SELECT count(*) FROM versions")" 4000
assert_eq "$(sql "SELECT name FROM sqlite_schema ORDER BY name")" "$schema"
run "$A" fsck
assert_rc 0

case_ "gc --keep-dev of 12,000 chained dev runs: readers looked up by version, not by scans"
# kept_runs asks, for every candidate version, whether a run that stays
# read it: run_inputs is keyed by run, so without the index gc builds for
# itself (gc_inputs_by_version, collect.c) each version is a scan of
# run_inputs. Made by SQL (a host's run first, for the schema), a chain of
# old dev runs (run i made version i and read version i-1), all removed:
# --dry-run took 0.25 s of CPU here (ASan build) for 10,000, 3.4-3.9 s
# without the index (the square of the chain's length: 18 s for 20,000).
export AEROMANCY_STORE=$AERO_TMP/chain-sql
"$AEROHOST" run "$S" --dev --no-isolation -- -n 1 >/dev/null 2>&1 ||
  fail "creating the store"
sql "DELETE FROM run_own_outputs; DELETE FROM run_inputs;
  DELETE FROM version_files; DELETE FROM versions; DELETE FROM run_records;
  DELETE FROM artifacts;
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 12000)
  INSERT INTO artifacts (id, project, name) SELECT i, 'chain', 'step-' || i FROM s;
  INSERT INTO run_records (id, project, job_type, mode, status, started_at,
    ended_at, invocation_id)
    SELECT id, 'chain', name, 'dev', 'ok', 1, 1, (SELECT max(id) FROM invocations)
    FROM artifacts;
  INSERT INTO versions (id, artifact_id, version, digest, mode, run_id,
    created_at, published) SELECT id, id, 0, 'digest ' || id, 'dev', id, 1, 1
    FROM artifacts;
  INSERT INTO run_own_outputs SELECT id, id FROM versions;
  INSERT INTO run_inputs SELECT id, id - 1 FROM versions WHERE id > 1"
assert_eq "$(sql "SELECT count(*) FROM run_inputs")" 11999
schema=$(sql "SELECT name FROM sqlite_schema ORDER BY name")
gc_within 2 --keep-dev 1 --dry-run
assert_contains "$(cat "$AERO_TMP/err")" " 12000 dev runs in "
assert_eq "$(sql "SELECT count(*) FROM runs")" 12000 "runs after a dry run"
assert_eq "$(sql "SELECT name FROM sqlite_schema ORDER BY name")" "$schema"

done_
