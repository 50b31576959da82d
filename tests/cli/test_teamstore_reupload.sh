#!/usr/bin/env bash
# The team store's check before uploading a blob (tracker-postgres against
# a real PostgreSQL and s3rver started here): an object of the right size
# is taken as the blob only when it carries the blob's SHA-256 as
# x-amz-meta-sha256, which every upload of ours sets. An object of the
# same size written by another PUT (without it, or with another digest)
# is uploaded again when its content is declared, and the store is sound
# after.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../servers.sh"

TRK=$AERO_FIXTURES/trk_pipeline.so
A=$AEROMANCY
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
cd "$AERO_TMP" || exit 1
aero_team_start
CONTENT="the same content, declared again"

# ingest: a run of ingest declaring $CONTENT as raw.
ingest() {
  run "$AEROHOST" run --dev --force "$TRK" --only ingest -- --content "$CONTENT"
  assert_rc 0
}

# put_other META...: replaces the blob's object through s3rver with other
# bytes of the same size (a PUT by another writer), with headers META.
put_other() {
  local other=$AERO_TMP/other
  printf '%s' "$CONTENT" | tr 'a-z' 'A-Z' >"$other"
  curl --noproxy '*' -sS -o "$AERO_TMP/put.body" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@" -X PUT \
    --data-binary "@$other" \
    "$AERO_S3_URL/$AERO_S3_BUCKET/${AEROMANCY_BLOBS#s3://*/}/blobs/${sha:0:2}/${sha:2}" \
    >"$AERO_TMP/put.code"
  assert_eq "$(cat "$AERO_TMP/put.code")" 200 "the other writer's PUT: $(cat "$AERO_TMP/put.body")"
  assert_eq "$(stat -c %s "$obj")" "$size" "the other object's size"
  [[ $(sha256sum <"$obj" | cut -d' ' -f1) != "$sha" ]] ||
    fail "the object still holds the blob"
}

# meta: the x-amz-meta-sha256 s3rver keeps for the object ("" for none).
meta() {
  grep -o '"x-amz-meta-sha256": "[^"]*"' \
    "${obj%._S3rver_object}._S3rver_metadata.json" | cut -d'"' -f4
}

ingest
sha=$(aero_psql "SELECT f.sha256 FROM version_files f JOIN artifact_versions v
                 ON v.version_id = f.version_id WHERE v.name = 'raw'")
[[ $sha =~ ^[0-9a-f]{64}$ ]] || fail "no blob of raw: '$sha'"
obj=$(aero_team_blob "$sha")
size=$(stat -c %s "$obj")
assert_eq "$(meta)" "$sha" "the uploaded blob's x-amz-meta-sha256"
runs=$(aero_psql "SELECT count(*) FROM runs")

case_ "an object of the blob's size without x-amz-meta-sha256 is uploaded again"
put_other
assert_eq "$(meta)" ""
ingest
assert_eq "$(sha256sum <"$obj" | cut -d' ' -f1)" "$sha" "the object after the declaration"
assert_eq "$(meta)" "$sha"

case_ "an object of the blob's size with another digest is uploaded again"
put_other -H "x-amz-meta-sha256: $(sha256sum <"$AERO_TMP/other" | cut -d' ' -f1)"
ingest
assert_eq "$(sha256sum <"$obj" | cut -d' ' -f1)" "$sha" "the object after the declaration"
assert_eq "$(meta)" "$sha"

case_ "an intact blob is not uploaded again"
before=$(stat -c %Y.%i "$obj")
sleep 1.1 # a new object would have a newer modification time
ingest
assert_eq "$(stat -c %Y.%i "$obj")" "$before" "the intact object"

case_ "the store is sound after: every run recorded, fsck clean"
assert_eq "$(aero_psql "SELECT count(*) FROM runs WHERE status = 'ok'")" \
  "$((runs + 3))"
run "$A" fsck
assert_rc 0

done_
