#!/usr/bin/env bash
# Metric points in blocks (schema 5) read back exactly as the rows of
# schema 4 were. tests/cli/data/store-v4.db.gz is a store made by
# tracker-local at schema 4 (one metrics row per point): aerohost ran the
# bench_steps fixture (2 runs), then 1,200 points were added with SQL in
# one logging order: five keys (one with a comma and quotes, one not
# ASCII) interleaved, steps repeated, going back, none, beyond 2^40,
# tricky doubles (subnormal, largest, -0.0, 0.1 + 0.2...) and raw random
# bits. The SHA-256 sums below are of what the aeromancy of schema 4 printed
# for it (metrics text, CSV, JSON and a key subset, show, diff, runs): the
# upgraded store, and a copy of it, must print the very same bytes. Since
# JSON reals are written in their shortest form (0.1, not jansson's
# 0.10000000000000001), the JSON sums are of those bytes with that form:
# parsed, the same values and keys, bit for bit, as schema 4's. Since the
# KEYs asked for stream in key order on both backends (853443c), the key
# subset's sum is of schema 4's very lines in key order (schema 4 printed
# them in the order asked: zé, loss, then the quoted key).
. "$(dirname "$0")/../lib.sh"

A=$AEROMANCY
export TZ=UTC
cd "$AERO_TMP" || exit 1

# Output name, then the sum of what schema 4's aeromancy printed.
# The two CSV files are schema 4's lines but for the quoted key, which
# schema 4 printed bare (three fields where a CSV reader must see one)
# and aeromancy now quotes as RFC 4180 asks: "key with, comma ""quoted""".
# diff.json has one row more than schema 4's, the runs' durations
# (section run, key duration_s), which diff's help always promised.
declare -A want=(
  [diff.json]=fcf1ef894027b3414dc457f4bd5692cc64b5efa8398f358eee0ab8fd27601349
  [metrics-1.csv]=c771074b7a88e9f095d664cdeb5044096bcfc733ccc94156e4f6e1d212114c24
  [metrics-1.txt]=2f0afd1f907152d71908bde2a769b01ffedeb0d9f32d71cdf26e2165ef682d25
  [metrics-2-keys.csv]=65d268f1626349b436c7b6c1aa2b304966155ae157c9bef3b5d05d55c420cdf9
  [metrics-2.json]=1ac76d6f3276b56b965c6b3b0f13da59211560a37eeac569e22783cb93d9b871
  [metrics-2.txt]=9534f00b478f14b82d6700e24b03a2925953386816ddb5184318c4c243b98bf0
  [runs.json]=bf9c7f21d2deb199c2d14c737a9fdb9472ca4d0290e451618cdd17e0602a1fdd
  [show-1.json]=498ddd25031005c242d2ecb1a7ec50b3fb9bffe678d1aa6912e80abdc53cd707
  [show-2.txt]=f1f17e4a66ded250be294839e7389801eaad5fc9d2ba2488d95c951f85baa24c
)

# outputs STORE DIR: writes every compared output of STORE into DIR.
outputs() {
  local s=(--store "$1") d=$2
  mkdir -p "$d"
  "$A" metrics 1 "${s[@]}" >"$d/metrics-1.txt" &&
    "$A" metrics 1 --csv "${s[@]}" >"$d/metrics-1.csv" &&
    "$A" metrics 2 --json "${s[@]}" >"$d/metrics-2.json" &&
    "$A" metrics 2 'zé' loss 'key with, comma "quoted"' --csv "${s[@]}" \
      >"$d/metrics-2-keys.csv" &&
    "$A" metrics 2 "${s[@]}" >"$d/metrics-2.txt" &&
    "$A" show 1 --json "${s[@]}" >"$d/show-1.json" &&
    "$A" show 2 "${s[@]}" >"$d/show-2.txt" &&
    "$A" diff 1 2 --json "${s[@]}" >"$d/diff.json" &&
    "$A" runs --json "${s[@]}" >"$d/runs.json" ||
    fail "reading $1 failed"
}

# same_as_schema_4 DIR [NAMES...]: the outputs in DIR are those of schema 4.
same_as_schema_4() {
  local dir=$1 name
  shift
  for name in "${@:-${!want[@]}}"; do
    assert_eq "$(sha256sum <"$dir/$name" | cut -c1-64)" "${want[$name]}" \
      "$name (first line: $(head -c 120 "$dir/$name" | head -1))"
  done
}

OLD=$AERO_TMP/v4
mkdir -p "$OLD"
gzip -dc "$AERO_SOURCE_DIR/tests/cli/data/store-v4.db.gz" >"$OLD/aeromancy.db"
# The store's two blobs: the outputs of its runs, "step-N\n".
mkdir -p "$OLD/tmp" "$OLD/views"
for content in step-0 step-1; do
  sha=$(printf '%s\n' "$content" | sha256sum | cut -c1-64)
  mkdir -p "$OLD/blobs/${sha:0:2}"
  printf '%s\n' "$content" >"$OLD/blobs/${sha:0:2}/${sha:2}"
  chmod 444 "$OLD/blobs/${sha:0:2}/${sha:2}"
done
osql() { sqlite3 -batch -noheader "$OLD/aeromancy.db" "$1"; }

case_ "a schema 4 store is upgraded on open: its points move into blocks"
assert_eq "$(osql "PRAGMA user_version")" 4
rows=$(osql "SELECT count(*) FROM metrics")
assert_eq "$rows" 1206
sum=$(osql "SELECT sum(value * (step IS NULL)) || ':' || count(DISTINCT key) FROM metrics")
# Every point, its value to 17 digits (exact for a double), in one order.
POINTS="SELECT group_concat(line, char(10)) FROM (SELECT run_id || '|' || key
  || '|' || printf('%!.17g', value) || '|' || ifnull(step, '-') || '|' ||
  logged_at AS line FROM metrics ORDER BY run_id, key, step, logged_at, value)"
points=$(osql "$POINTS" | sha256sum)
run "$A" runs --store "$OLD"
assert_rc 0
assert_eq "$(osql "PRAGMA user_version")" 10
assert_eq "$(osql "SELECT type FROM sqlite_schema WHERE name = 'metrics'")" view
assert_eq "$(osql "SELECT sum(count) FROM metric_blocks")" "$rows"
# One block per key of each run: 1,206 points, none more than 4,096.
assert_eq "$(osql "SELECT count(*) FROM metric_blocks")" \
  "$(osql "SELECT count(*) FROM metric_summaries")"
# The view reads the same points back.
assert_eq "$(osql "SELECT sum(value * (step IS NULL)) || ':' || count(DISTINCT key) FROM metrics")" "$sum"
assert_eq "$(osql "$POINTS" | sha256sum)" "$points" "every point read through the view"
run "$A" fsck --store "$OLD"
assert_rc 0

case_ "metrics, show, diff and runs print the bytes schema 4 printed"
outputs "$OLD" "$AERO_TMP/upgraded"
same_as_schema_4 "$AERO_TMP/upgraded"

case_ "a copy of the upgraded store (written in blocks of batches) prints them too"
run "$A" store copy "$OLD" "$AERO_TMP/copy"
assert_rc 0
outputs "$AERO_TMP/copy" "$AERO_TMP/copied"
same_as_schema_4 "$AERO_TMP/copied" metrics-1.txt metrics-1.csv \
  metrics-2.json metrics-2-keys.csv metrics-2.txt

case_ "deleting runs takes their blocks and summaries"
run "$A" gc --keep-dev 0 --store "$AERO_TMP/copy"
assert_rc 0
assert_eq "$(sqlite3 "$AERO_TMP/copy/aeromancy.db" "SELECT count(*) FROM
  metric_blocks")|$(sqlite3 "$AERO_TMP/copy/aeromancy.db" "SELECT count(*)
  FROM metric_summaries")" "0|0"

done_
