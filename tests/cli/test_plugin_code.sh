#!/usr/bin/env bash
# tracker-local.so carries none of OpenSSL's EVP code. The plugin links
# libcrypto.a for SHA-256 only (SHA256_Init/Update/Final); one reference
# to the one-shot SHA256() (EVP's in OpenSSL 3) links the whole EVP and
# provider machinery in: 5.9 MB instead of 1.6, 18,313 relocations instead
# of 1,698, which the dynamic loader applies (a page fault per page
# written) in every aerohost that opens a local store, ~7% of an unchanged
# re-run of 1,000 actions (docs/performance.md).
. "$(dirname "$0")/../lib.sh"

so=$AERO_BUILD_DIR/plugins/tracker-local.so
case_ "tracker-local.so defines no EVP_ function"
[[ -f $so ]] || fail "no $so"
run nm --defined-only "$so"
assert_rc 0
# A stripped plugin would pass whatever it holds: it must have symbols.
grep -q ' aero_plugin_entry$' <<<"$out" || fail "$so has no symbol table"
evp=$(grep -c ' [tT] EVP_' <<<"$out" || true)
assert_eq "$evp" "0" "EVP_ functions linked into $so"

done_
