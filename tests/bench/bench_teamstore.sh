#!/usr/bin/env bash
# bench_teamstore: the team store (tracker-postgres, on a PostgreSQL 15 and
# an s3rver started here, both on this machine) beside the local store, in
# one run:
# - a tracked no-op action (bench_steps.so -n 1) and the aerodemo pipeline,
#   each on the local store and on the team store: what a round trip per
#   tracker call batch costs;
# - uploading a 1 GiB output (bench_hash.so) against `curl --upload-file`
#   of the same file to the same server. The upload's share of a declare is
#   a fresh declare (new content: hashed, uploaded in parts, checked) minus
#   a declare of unchanged content (hashed, found in the bucket): both are
#   timed here.
. "$(dirname "$0")/lib.sh"

MIB=${BENCH_UPLOAD_MIB:-1024}
bytes=$((MIB * 1024 * 1024))
steps="$AERO_FIXTURES/bench_steps.so"
hash_plugin="$AERO_FIXTURES/bench_hash.so"
demo="$AERO_BENCH_BUILD/examples/aerodemo/aerodemo.so"
for f in "$steps" "$hash_plugin" "$demo" "$AEROMANCY_PLUGIN_PATH/tracker-postgres.so"; do
  [[ -f $f ]] || die "no $f: build it"
done
cd "$bench_dir" || die "cannot enter $bench_dir"

bench_test_servers
. "$AERO_SOURCE_DIR/tests/servers.sh"
note "starting PostgreSQL and s3rver"
aero_team_start
team=(env AEROMANCY_BACKEND=postgres)
local_store=(env AEROMANCY_BACKEND=local AEROMANCY_STORE="$bench_dir/local")
"${local_store[@]}" "$AEROHOST" run "$demo" --dev >"$bench_dir/warm.log" 2>&1 &&
  "${team[@]}" "$AEROHOST" run "$demo" --dev >>"$bench_dir/warm.log" 2>&1 ||
  die "a first run failed: $(tail -2 "$bench_dir/warm.log" | tr '\n' ' ')"

note "timing a tracked no-op action and aerodemo on both stores"
hf "$bench_dir/calls.json" -N --warmup 3 --runs 20 \
  -n "no-op, local" "${local_store[*]} $AEROHOST run $steps --dev --force -- -n 1" \
  -n "no-op, team" "${team[*]} $AEROHOST run $steps --dev --force -- -n 1" \
  -n "aerodemo, local" "${local_store[*]} $AEROHOST run $demo --dev --force" \
  -n "aerodemo, team" "${team[*]} $AEROHOST run $demo --dev --force"
noop_l=$(median "$bench_dir/calls.json" 0)
noop_t=$(median "$bench_dir/calls.json" 1)
demo_l=$(median "$bench_dir/calls.json" 2)
demo_t=$(median "$bench_dir/calls.json" 3)
# Round trips per run of the no-op action, counted by the server.
before=$(aero_psql "SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database WHERE datname = 'aero'")
"${team[@]}" "$AEROHOST" run "$steps" --dev -- -n 1 >/dev/null 2>&1
after=$(aero_psql "SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database WHERE datname = 'aero'")

# An unchanged re-run on each store (every action reused: a lookup and a
# `reused` run each), beside make's no-op re-run of the same graph.
R=${BENCH_TEAM_REUSE_N:-1000}
note "filling both stores with $R actions"
for store in local_store team; do
  declare -n cmd=$store
  "${cmd[@]}" "$AEROHOST" run "$steps" --dev --no-isolation -- --actions "$R" \
    --shape wide >"$bench_dir/fill-$store.log" 2>&1 ||
    die "filling the $store store failed: $(tail -1 "$bench_dir/fill-$store.log")"
done
make_graph "$bench_dir/w$R" "$R" wide
make -s -C "$bench_dir/w$R" >/dev/null 2>&1 || die "make failed on $R steps"
note "timing the unchanged re-run of $R actions on both stores"
hf "$bench_dir/reuse.json" -N --warmup 1 --runs 10 \
  -n "re-run, local" "${local_store[*]} $AEROHOST run $steps --dev -- --actions $R --shape wide" \
  -n "re-run, team" "${team[*]} $AEROHOST run $steps --dev -- --actions $R --shape wide" \
  -n "make (no-op)" "make -s -C $bench_dir/w$R"
grep -q "0 ok, $R reused" <("${team[@]}" "$AEROHOST" run "$steps" --dev -- \
  --actions "$R" --shape wide 2>&1) || die "the team store's re-run did not reuse all $R actions"
reuse_l=$(median "$bench_dir/reuse.json" 0)
reuse_t=$(median "$bench_dir/reuse.json" 1)
reuse_m=$(median "$bench_dir/reuse.json" 2)

note "writing a $MIB MiB file of random bytes"
head -c "$bytes" /dev/urandom >"$bench_dir/big.bin" || die "cannot write big.bin"
# New content for every fresh declare: its first 32 bytes rewritten.
fresh="dd if=/dev/urandom of=$bench_dir/big.bin bs=32 count=1 conv=notrunc status=none"

note "timing the upload of $MIB MiB: aerohost (fresh, unchanged) and curl"
hf "$bench_dir/upload.json" --runs 3 --prepare "$fresh" \
  -n "declare, fresh content" \
  "${team[*]} $AEROHOST run $hash_plugin --dev --force -- --file $bench_dir/big.bin"
hf "$bench_dir/unchanged.json" --runs 3 \
  -n "declare, unchanged content" \
  "${team[*]} $AEROHOST run $hash_plugin --dev --force -- --file $bench_dir/big.bin"
hf "$bench_dir/curl.json" --runs 3 --prepare "$fresh" \
  -n "curl --upload-file" \
  "curl -sf --aws-sigv4 aws:amz:$AWS_REGION:s3 --user $AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --upload-file $bench_dir/big.bin $AERO_S3_URL/$AERO_S3_BUCKET/curl/\$RANDOM -o /dev/null"
up=$(median "$bench_dir/upload.json" 0)
same=$(median "$bench_dir/unchanged.json" 0)
curl_t=$(median "$bench_dir/curl.json" 0)
upload_only=$(calc "$up - $same")
rate() { python3 -c "print('%.0f' % ($MIB / $1))"; }

echo "## Team store (bench_teamstore)"
echo
echo "tracker-postgres on PostgreSQL 15 (unix socket) and s3rver (loopback),"
echo "both on this machine, beside tracker-local. Medians (hyperfine, no shell"
echo "for the first table)."
echo
echo "| command | local (ms) | team (ms) | team / local |"
echo "|---|---:|---:|---:|"
echo "| tracked no-op action (bench_steps -n 1) | $(ms "$noop_l") | $(ms "$noop_t") | $(ratio "$noop_t" "$noop_l") |"
echo "| aerodemo --dev (3 actions, 40 metrics) | $(ms "$demo_l") | $(ms "$demo_t") | $(ratio "$demo_t" "$demo_l") |"
echo "| unchanged re-run of $R actions (all reused) | $(ms "$reuse_l") | $(ms "$reuse_t") | $(ratio "$reuse_t" "$reuse_l") |"
echo
echo "The unchanged re-run beside GNU make's no-op re-run of the same graph of"
echo "$R \`touch\` steps ($(ms "$reuse_m") ms): local $(ratio "$reuse_l" "$reuse_m")×, team $(ratio "$reuse_t" "$reuse_m")×."
echo
echo "Transactions the server counted for one run of the no-op action (open,"
echo "lease, run begin and end, close): $((after - before))."
echo
echo "| $MIB MiB to s3rver | median (s) | MiB/s |"
echo "|---|---:|---:|"
echo "| aerohost declare, fresh content (hash + multipart upload + check) | $(calc "$up") | $(rate "$up") |"
echo "| aerohost declare, unchanged content (hash + HEAD) | $(calc "$same") | $(rate "$same") |"
echo "| upload share of the fresh declare (difference) | $upload_only | $(rate "$upload_only") |"
echo "| curl --upload-file (one signed PUT) | $(calc "$curl_t") | $(rate "$curl_t") |"
echo
target "upload at least 80% of curl's rate ($(calc "$curl_t / $upload_only * 100")%)" \
  "$(python3 -c "print(1 if $curl_t / $upload_only >= 0.8 else 0)")"
echo
