#!/usr/bin/env bash
# Blobs changed after they were stored (written in place through a view,
# as root may): every use checks size and seal, so a consumer is refused
# the wrong bytes with one line naming the blob; declaring the right
# content again replaces the damaged blob instead of reusing it; an intact
# blob that lost its seal (touched, copied without times) is hashed once
# and sealed again. A view made anew (views/ removed) checks its blobs.
. "$(dirname "$0")/../lib.sh"
# This script is about blob files: none is kept in the database
# (test_inline_blobs.sh covers those).
export AEROMANCY_INLINE_MAX=0

PLUGIN=$AERO_FIXTURES/trk_pipeline.so
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME

# blob NAME: the path of the blob of artifact NAME's latest version.
blob() {
  local h
  h=$(sql "SELECT f.sha256 FROM version_files f JOIN versions v ON v.id =
    f.version_id JOIN artifacts a ON a.id = v.artifact_id WHERE a.name = '$1'
    AND v.published = 1 ORDER BY v.version DESC LIMIT 1")
  echo "$AEROMANCY_STORE/blobs/${h:0:2}/${h:2}"
}
# model_text: what the latest model says it was trained on.
model_text() { cat "$(blob model)"; }

run "$AEROHOST" run "$PLUGIN" --dev -- --content hello
assert_rc 0
raw=$(blob raw)
assert_eq "$(stat -c %Y "$raw")" 0 "a stored blob is sealed (mtime at the epoch)"

case_ "same-size damage: the consumer is refused, naming the blob"
printf 'HELLO' >"$raw" # root ignores the 0444 mode
run "$AEROHOST" run "$PLUGIN" --dev --force --only train
assert_rc 1
assert_contains "$err" "blob $(basename "$(dirname "$raw")")$(basename "$raw") is damaged"
assert_eq "$(sql "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" failed

case_ "declaring the right content again replaces the damaged blob"
run "$AEROHOST" run "$PLUGIN" --dev --only ingest -- --content hello
assert_rc 0
assert_eq "$(cat "$raw")" hello
assert_eq "$(stat -c %Y "$raw")" 0
assert_eq "$(sql "SELECT count(*) FROM artifact_versions WHERE name = 'raw'")" 1 \
  "same content, same version"
run "$AEROHOST" run "$PLUGIN" --dev --only train
assert_rc 0
assert_contains "$(model_text)" "model of hello "

case_ "a damaged size is refused too"
truncate -s 2 "$raw"
run "$AEROHOST" run "$PLUGIN" --dev --force --only train
assert_rc 1
assert_contains "$err" "is damaged"
assert_eq "$(grep -c 'is damaged' <<<"$err")" 1 "one line"
run "$AEROHOST" run "$PLUGIN" --dev --only ingest -- --content hello
assert_rc 0
assert_eq "$(cat "$raw")" hello

case_ "a view built anew checks its blobs too"
# views/ is a cache (gc removes views; a copied store may lack them): a
# view made again from a blob damaged in place must not hand the damaged
# bytes to the consumer as the version's content.
printf 'HELLO' >"$raw"
rm -rf "$AEROMANCY_STORE/views"
run "$AEROHOST" run "$PLUGIN" --dev --force --only train
assert_rc 1
assert_one_line "$(grep 'is damaged' <<<"$err")"
assert_contains "$err" "blob $(basename "$(dirname "$raw")")$(basename "$raw") is damaged"
assert_eq "$(sql "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" failed
rm -rf "$AEROMANCY_STORE/views"
run "$AEROMANCY" path raw
assert_rc 2
assert_contains "$err" "is damaged"
run "$AEROHOST" run "$PLUGIN" --dev --only ingest -- --content hello
assert_rc 0
assert_eq "$(cat "$raw")" hello

case_ "an intact blob without its seal is verified and sealed again"
touch "$raw"
run "$AEROHOST" run "$PLUGIN" --dev --force --only train
assert_rc 0
assert_eq "$(stat -c %Y "$raw")" 0

done_
