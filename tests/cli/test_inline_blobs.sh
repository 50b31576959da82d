#!/usr/bin/env bash
# Small blobs kept in the database (tracker-local, schema 8: inline_blobs):
# a new output of at most 4 KiB is a row written with its version, not a
# file; inputs, export and fsck read it; a row damaged with the sqlite3
# shell is reported by fsck, refused to a consumer and never reused, and
# declaring the content again repairs it; fsck --repair sets it aside, gc
# removes rows nothing refers to; a blob one byte over the limit is a file;
# a store of schema 7 (blob files only) upgrades, and files and rows of the
# same content are never both made.
. "$(dirname "$0")/../lib.sh"

PLUGIN=$AERO_FIXTURES/trk_pipeline.so
A=$AEROMANCY
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME \
  AEROMANCY_INLINE_MAX
cd "$AERO_TMP" || exit 1

sha_of() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
file_of() { echo "$AEROMANCY_STORE/blobs/${1:0:2}/${1:2}"; }
row_count() { sql "SELECT count(*) FROM inline_blobs WHERE sha256 = '$1'"; }
# damage SHA TEXT: the row's content replaced by TEXT, with the sqlite3 shell.
damage() {
  sql "UPDATE inline_blobs SET content = CAST('$2' AS BLOB) WHERE sha256 = '$1'"
}
model_text() {
  cat "$(blob_file "$(sql "SELECT f.sha256 FROM version_files f JOIN
    artifact_versions v ON v.version_id = f.version_id WHERE v.name = 'model'
    ORDER BY v.version DESC LIMIT 1")")"
}
hello=$(sha_of hello)

case_ "a small output is a row of the database, not a file; inputs and export read it"
run "$AEROHOST" run "$PLUGIN" --dev -- --content hello
assert_rc 0
assert_eq "$(row_count "$hello")" 1 "the row"
[[ ! -e $(file_of "$hello") ]] || fail "a blob file was written too"
assert_eq "$(sql "SELECT content FROM inline_blobs WHERE sha256 = '$hello'")" hello
assert_contains "$(model_text)" "model of hello "
run "$A" export raw "$AERO_TMP/exported"
assert_rc 0
assert_eq "$(cat "$AERO_TMP/exported/"*)" hello
# One file (a link to the version's view, which holds the row's bytes):
# said in the singular.
assert_contains "$err" ": 1 file into $AERO_TMP/exported (1 hard link)"
run "$A" fsck
assert_rc 0
assert_contains "$err" "0 orphan blobs, 0 problems in"

case_ "a damaged row: fsck reports it, a consumer is refused, reuse does not trust it"
damage "$hello" HELLO
run "$A" fsck
assert_rc 1
assert_contains "$out" "damaged	$hello"
assert_contains "$out" "(in the database) no longer hashes to its name"
# The view built by the first run holds the right bytes: refused anyway.
run "$AEROHOST" run "$PLUGIN" --dev --force --only train
assert_rc 1
assert_contains "$err" "blob $hello is damaged"
assert_eq "$(sql "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" failed
rm -rf "$AEROMANCY_STORE/views"
run "$AEROHOST" run "$PLUGIN" --dev --force --only train
assert_rc 1
assert_contains "$err" "blob $hello is damaged"
# An unchanged re-run would reuse every action: ingest's output is damaged,
# so ingest runs, and its declaration of the same bytes repairs the row.
run "$AEROHOST" run "$PLUGIN" --dev -- --content hello
assert_rc 0
assert_contains "$err" "Running [ingest] raw"
assert_eq "$(sql "SELECT content FROM inline_blobs WHERE sha256 = '$hello'")" hello
assert_eq "$(sql "SELECT count(*) FROM artifact_versions WHERE name = 'raw'")" 1 \
  "same content, same version"
run "$A" fsck
assert_rc 0

case_ "a row of another length is a size problem; fsck --repair sets it aside"
damage "$hello" HELL
run "$A" fsck
assert_rc 1
assert_contains "$out" "size	$hello"
run "$A" fsck --repair
assert_rc 0
assert_contains "$err" "repaired: all"
assert_eq "$(row_count "$hello")" 0 "the damaged row is gone"
assert_eq "$(cat "$AEROMANCY_STORE/damaged/$hello-"*)" HELL "kept in damaged/"
run "$A" fsck
assert_rc 1
assert_contains "$out" "missing	$hello"
run "$AEROHOST" run "$PLUGIN" --dev --only ingest -- --content hello
assert_rc 0
assert_eq "$(row_count "$hello")" 1 "declaring the content stores it again"
run "$A" fsck
assert_rc 0

case_ "fsck --repair never sets aside a row declared again while it checked"
# The row is damaged when fsck reads it, and repaired (as a declaration of
# the same bytes would) in a write transaction that commits while fsck
# waits for the write lock to set the row aside: under that lock the row
# is intact again, and must stay.
damage "$hello" jello
db=$AEROMANCY_STORE/aeromancy.db
fifo=$AERO_TMP/writer.fifo
mkfifo "$fifo"
sqlite3 -batch "$db" <"$fifo" &
writer=$!
exec {to_writer}>"$fifo"
echo "BEGIN IMMEDIATE; UPDATE inline_blobs SET content = CAST('hello' AS BLOB)
  WHERE sha256 = '$hello';" >&$to_writer
write_lock_held() { ! sqlite3 "$db" "BEGIN IMMEDIATE; ROLLBACK" 2>/dev/null; }
wait_until 100 0.05 write_lock_held || fail "the writer never took the lock"
(sleep 2 && echo "COMMIT;" >&$to_writer) &
run "$A" fsck --repair
exec {to_writer}>&-
wait "$writer"
assert_contains "$out" "$hello" "fsck saw the damaged row"
assert_eq "$(row_count "$hello")" 1 "the row declared again meanwhile stays"
run "$A" fsck
assert_rc 0

case_ "gc removes the rows no version refers to; --dry-run keeps them"
orphan=$(sha_of orphan)
sql "INSERT INTO inline_blobs VALUES ('$orphan', CAST('orphan' AS BLOB))"
run "$A" fsck
assert_rc 0
assert_contains "$err" " 1 orphan blobs"
run "$A" gc --dry-run
assert_rc 0
assert_contains "$out" "$orphan"
assert_eq "$(row_count "$orphan")" 1 "kept by --dry-run"
run "$A" gc
assert_rc 0
assert_contains "$out" "$orphan"
assert_eq "$(row_count "$orphan")" 0 "removed"
assert_eq "$(row_count "$hello")" 1 "a referenced row stays"

case_ "at the limit a row, one byte over it a file (sealed, read-only)"
at=$(head -c 4096 /dev/zero | tr '\0' a)
over=$(head -c 4097 /dev/zero | tr '\0' b)
run "$AEROHOST" run "$PLUGIN" --dev -- --content "$at"
assert_rc 0
assert_eq "$(row_count "$(sha_of "$at")")" 1 "4096 bytes: a row"
run "$AEROHOST" run "$PLUGIN" --dev -- --content "$over"
assert_rc 0
f=$(file_of "$(sha_of "$over")")
assert_eq "$(row_count "$(sha_of "$over")")" 0 "4097 bytes: no row"
assert_eq "$(stat -c '%s %a %Y' "$f")" "4097 444 0" "4097 bytes: a sealed file"
assert_contains "$(model_text)" "model of bbbb"
run "$A" fsck
assert_rc 0

case_ "AEROMANCY_INLINE_MAX: 0 stores files; a bad value is one line, exit 3"
AEROMANCY_INLINE_MAX=0 run "$AEROHOST" run "$PLUGIN" --dev -- --content small
assert_rc 0
[[ -f $(file_of "$(sha_of small)") ]] || fail "no blob file with AEROMANCY_INLINE_MAX=0"
assert_eq "$(row_count "$(sha_of small)")" 0
for bad in 65537 -1 4k " 1"; do
  AEROMANCY_INLINE_MAX=$bad run "$AEROHOST" run "$PLUGIN" --dev -- --content x
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "AEROMANCY_INLINE_MAX"
done

case_ "a store of schema 7 upgrades; a blob is a file or a row, never made twice"
new_store old
AEROMANCY_INLINE_MAX=0 run "$AEROHOST" run "$PLUGIN" --dev -- --content hello
assert_rc 0
sql "$(schema9_undo_sql) DROP TABLE inline_blobs; PRAGMA user_version = 7"
runs_before=$(sql "SELECT count(*) FROM runs")
run "$AEROHOST" run "$PLUGIN" --dev --force -- --content hello
assert_rc 0
assert_eq "$(sql "PRAGMA user_version")" 10
assert_eq "$(sql "SELECT count(*) FROM runs")" "$((runs_before + 3))" "runs kept"
[[ -f $(file_of "$hello") ]] || fail "the old blob file is gone"
assert_eq "$(row_count "$hello")" 0 "the content of an intact file is not a row too"
assert_contains "$(model_text)" "model of hello "
# New content is a row; the other way round, a process storing files finds
# the row and writes no file.
run "$AEROHOST" run "$PLUGIN" --dev -- --content fresh
assert_rc 0
assert_eq "$(row_count "$(sha_of fresh)")" 1
AEROMANCY_INLINE_MAX=0 run "$AEROHOST" run "$PLUGIN" --dev --force -- --content fresh
assert_rc 0
[[ ! -e $(file_of "$(sha_of fresh)") ]] || fail "a file was written beside the row"
assert_contains "$(model_text)" "model of fresh "
run "$A" fsck
assert_rc 0
assert_contains "$err" "0 orphan blobs, 0 problems in"

case_ "a damaged file beside an intact row of its content: fsck reports it, --repair moves it aside"
# Stored as a file by a process with a lower limit, damaged in place, then
# declared again: the row is made beside the file. Readers use the row, but
# fall back to the file when the row is damaged: fsck checks both.
new_store beside
AEROMANCY_INLINE_MAX=0 run "$AEROHOST" run "$PLUGIN" --dev -- --content hello
assert_rc 0
f=$(file_of "$hello")
chmod u+w "$f"
printf 'j' | dd of="$f" bs=1 conv=notrunc status=none
run "$AEROHOST" run "$PLUGIN" --dev --force -- --content hello
assert_rc 0
assert_eq "$(row_count "$hello")" 1 "the row made beside the damaged file"
assert_eq "$(cat "$f")" jello "the damaged file"
run "$A" fsck
assert_rc 1
assert_eq "$(grep -c '' <<<"$out")" 1 "problem lines"
assert_contains "$out" "$(printf 'damaged\t%s\t' "$hello")"
assert_contains "$out" "(a file beside its row) no longer hashes to its name"
assert_contains "$err" "1 problems in"
run "$A" fsck --repair
assert_rc 0
assert_contains "$out" "(repaired)"
[[ ! -e $f ]] || fail "the damaged file is still in blobs/"
assert_eq "$(cat "$AEROMANCY_STORE/damaged/$hello-"*)" jello "kept in damaged/"
assert_eq "$(row_count "$hello")" 1 "the intact row stays"
run "$A" fsck
assert_rc 0
assert_contains "$err" "0 orphan blobs, 0 problems in"
assert_contains "$(model_text)" "model of hello "

done_
