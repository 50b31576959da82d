#!/usr/bin/env bash
# on_team_store.sh BINARY CASE...: runs each named case of the unit test
# BINARY (cmocka, filtered by AERO_TEST_ONLY) against a fresh team store
# (tracker-postgres on a PostgreSQL and an s3rver started here; tests/lib.sh
# with AERO_TEST_BACKEND=postgres), for the cases of a unit test that
# check a backend's contract on both backends.
. "$(dirname "$0")/../lib.sh"

bin=$1
shift
[[ $AERO_TEST_BACKEND == postgres ]] || fail "AERO_TEST_BACKEND is not postgres"
export AERO_PG_BIN
for name in "$@"; do
  case_ "$name on the team store"
  new_store "$name"
  AERO_TEST_ONLY=$name run "$bin"
  assert_rc 0
  # The filter matched the case: it ran, and passed.
  assert_contains "$out" "[       OK ] $name"
  [[ $rc == 0 ]] || printf '%s\n%s\n' "$out" "$err" >&2
done
done_
