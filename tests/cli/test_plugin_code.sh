#!/usr/bin/env bash
# tracker-local.so and tracker-postgres.so carry none of OpenSSL's EVP
# code. A plugin links libcrypto.a for SHA-256 only (SHA256_Init/Update/
# Final, through pc_sha256_buf and pc_sha256_fd); one reference
# to the one-shot SHA256() (EVP's in OpenSSL 3) links the whole EVP and
# provider machinery in: 5.9 MB instead of 1.6, 18,313 relocations instead
# of 1,698, which the dynamic loader applies (a page fault per page
# written) in every aerohost that opens a local store, ~7% of an unchanged
# re-run of 1,000 actions (docs/performance.md).
. "$(dirname "$0")/../lib.sh"

# Each backend the build has: tracker-local always, tracker-postgres when
# libpq and libcurl were found (its S3 signing hashes with the same calls).
for so in "$AERO_BUILD_DIR"/plugins/tracker-local.so "$AERO_BUILD_DIR"/plugins/tracker-postgres.so; do
  name=$(basename "$so")
  case_ "$name defines no EVP_ function"
  if [[ $name == tracker-local.so || ${CI:-} == true ]]; then
    [[ -f $so ]] || fail "no $so"
  fi
  [[ -f $so ]] || continue
  run nm --defined-only "$so"
  assert_rc 0
  # A stripped plugin would pass whatever it holds: it must have symbols.
  grep -q ' aero_plugin_entry$' <<<"$out" || fail "$so has no symbol table"
  evp=$(grep -c ' [tT] EVP_' <<<"$out" || true)
  assert_eq "$evp" "0" "EVP_ functions linked into $so"
done

done_
