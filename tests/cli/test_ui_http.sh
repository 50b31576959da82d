#!/usr/bin/env bash
# `aeromancy ui` over plain HTTP (curl, against the real server): the
# gates every request passes (GET/HEAD only, no body, the Host header, URL
# parameters that try to climb out, header size, connection count), the
# protective headers, Chart.js served from Debian's package, options and
# their errors, and a clean stop.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ui_lib.sh"
cd "$AERO_TMP" || exit 1
DEMO="$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so"

# Local store only: the team store's database exists before any run (the
# test's PostgreSQL created it).
if [[ $AERO_TEST_BACKEND == local ]]; then
  case_ no_store_is_one_line_and_creates_none
  run "$AEROMANCY" ui --port 0
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "$AEROMANCY_STORE"
  [[ ! -e $AEROMANCY_STORE ]] || fail "aeromancy ui created the store"
fi

case_ serves_pages_and_chartjs_locally
run "$AEROHOST" run "$DEMO" --dev -- --notes '<script>alert(1)</script>'
assert_rc 0
ui_start || { fail "server did not start: $(cat "$AERO_TMP/ui.err")"; done_; exit; }
assert_contains "$(cat "$AERO_TMP/ui.err")" "serving $AEROMANCY_STORE on http://127.0.0.1:"
http /
assert_eq "$code" 200
assert_contains "$body" '<script src="/static/runs.js"'
assert_contains "$headers" "Content-Security-Policy: default-src 'none'; script-src 'self'"
assert_contains "$headers" "X-Content-Type-Options: nosniff"
http /static/chart.min.js
assert_eq "$code" 200
cmp -s "$AERO_TMP/body" /usr/share/javascript/chart.js/chart.min.js ||
  fail "chart.min.js is not Debian's libjs-chart.js"
assert_contains "$headers" "Content-Type: text/javascript"
http -I /static/app.css
assert_eq "$code" 200
assert_not_contains "$body" "--fg" # -I writes the headers only
assert_contains "$headers" "Content-Type: text/css; charset=utf-8"
# The embedded files (cmake/embed_files.cmake) byte for byte, typed by name.
for f in runs.html:text/html run.js:text/javascript app.css:text/css; do
  http "/static/${f%%:*}"
  assert_eq "$code" 200
  cmp -s "$AERO_TMP/body" "$AERO_SOURCE_DIR/host/runner/ui/assets/${f%%:*}" ||
    fail "/static/${f%%:*} is not host/runner/ui/assets/${f%%:*}"
  assert_contains "$headers" "Content-Type: ${f#*:}; charset=utf-8"
done

case_ only_get_and_head
for m in POST PUT DELETE PATCH OPTIONS TRACE; do
  http -X "$m" /
  assert_eq "$code" 405 "$m"
  assert_contains "$headers" "Allow: GET, HEAD"
done
http -X POST --data-binary 'x=1' /api/runs
assert_eq "$code" 405
http -X GET --data-binary 'x=1' /
assert_eq "$code" 413

case_ host_header_checked
http -H "Host: evil.example:$UI_PORT" /
assert_eq "$code" 403
assert_not_contains "$body" "<script"
http -H "Host: evil.example" /static/chart.min.js
assert_eq "$code" 403
http -H "Host: 127.0.0.1:$((UI_PORT + 1))" /
assert_eq "$code" 403
http -H "Host:" --http1.0 /
assert_eq "$code" 403
http -H "Host: localhost:$UI_PORT" /
assert_eq "$code" 200

case_ traversal_in_every_parameter
for path in \
  "/static/..%2f..%2f..%2fetc%2fpasswd" "/static/../../../etc/passwd" \
  "/static/%2e%2e/%2e%2e/etc/passwd" "/static//etc/passwd" \
  "/run/..%2f..%2fetc%2fpasswd" "/run/1/../../etc/passwd" \
  "/artifact?ref=..%2f..%2fetc%2fpasswd" "/artifact?ref=%2fetc%2fpasswd" \
  "/compare?runs=..%2f..%2fetc%2fpasswd" "/compare?runs=1,..%2fetc" \
  "/..%2f..%2fetc%2fpasswd" "/etc/passwd" \
  "/api/runs/..%2f..%2fetc%2fpasswd" "/api/runs/2/../../../etc/passwd" \
  "/api/runs/2/series?key=..%2f..%2fetc%2fpasswd" \
  "/api/artifacts?ref=..%2f..%2fetc%2fpasswd" "/api/artifacts?ref=%2fetc%2fpasswd" \
  "/api/lineage?ref=..%2f..%2fetc%2fpasswd" \
  "/api/files/1/..%2f..%2f..%2fetc%2fpasswd" "/api/files/../../etc/passwd" \
  "/api/files/1/$(printf '0%.0s' {1..64})" "/api/static/../etc/passwd"; do
  http --path-as-is "$path"
  [[ $code == 404 || $code == 400 ]] || fail "$path: got $code"
  assert_not_contains "$body" "root:"
done
for param in project job_type tag branch q status mode since limit before \
  input_version; do
  http "/api/runs?$param=..%2f..%2f..%2fetc%2fpasswd"
  [[ $code == 200 || $code == 400 ]] || fail "/api/runs?$param=...: got $code"
  assert_not_contains "$body" "root:"
  [[ $code == 400 ]] || assert_contains "$body" '"runs":[]'
done
http "/api/runs/2/series?key=loss&points=..%2fetc"
assert_eq "$code" 400
http "/api/lineage?ref=dataset&down=..%2fetc"
assert_eq "$code" 400
# Filters that would select every run if read as absent: each a 400 that
# names it (ids start at 1; a %00 would end the C string).
# An error quoting bytes that are not UTF-8 is still the JSON document.
http "/api/runs/2/metrics?key=x%FF"
assert_eq "$code" 404
assert_contains "$headers" "application/json"
assert_contains "$(jq -r .error <<<"$body")" 'x\xff'
for bad in before=0 input_version=0 q=%00 q=a%00b project=%00x since=%00 \
  status=ok%00; do
  http "/api/runs?$bad"
  assert_eq "$code" 400 "/api/runs?$bad"
  assert_contains "$body" "parameter '"
done

case_ api_runs_search_pages_through_matches
run "$AEROHOST" run "$DEMO" --dev -- --learning-rate 0.02 # runs 4-6
assert_rc 0
http "/api/runs?q=EVALUATE"
assert_eq "$code" 200
assert_eq "$(grep -o '"job_type":"[a-z]*"' <<<"$body" | sort | uniq -c | tr -s ' ')" \
  ' 2 "job_type":"evaluate"'
http "/api/runs?q=evaluate&limit=1"
assert_contains "$body" '"id":6,'
assert_contains "$body" '"next_before_id":6'
http "/api/runs?q=evaluate&limit=1&before=6"
assert_contains "$body" '"id":3,'
assert_not_contains "$body" '"id":6,'
http "/api/runs?q=no-such-run"
assert_contains "$body" '{"runs":[],"next_before_id":null}'
http "/api/runs?q=5"
assert_contains "$body" '"runs":[{"id":5,'
http /api/runs/99
assert_eq "$code" 404
assert_contains "$body" '"error":"no run 99'

case_ a_running_run_is_read_afresh_and_a_finished_one_kept
"$AEROHOST" run "$AERO_FIXTURES/trk_pipeline.so" --dev --only ingest -- \
  --sleep-ms 3000 >/dev/null 2>&1 &
host_pid=$!
newest_running() {
  http "/api/runs?limit=1"
  [[ $body == *'"status":"running"'* ]]
}
wait_until 100 0.05 newest_running
id=$(grep -o '"id":[0-9]*' <<<"$body" | head -1 | cut -d: -f2)
http "/api/runs/$id"
assert_contains "$body" '"status":"running"'
wait "$host_pid"
http "/api/runs/$id"
assert_contains "$body" '"status":"ok"'
first=$body
http "/api/runs/$id"
assert_eq "$body" "$first" "a finished run's page, answered again"
http "/api/runs/5/series?key=loss"
first=$body
http "/api/runs/5/series?key=loss"
assert_eq "$body" "$first" "a finished run's series, answered again"
http "/api/runs/5/series?key=loss&points=8"
assert_not_contains "$body" "$first"

case_ api_json_escapes_markup
http /api/runs/2
assert_eq "$code" 200
assert_contains "$headers" "Content-Type: application/json"
assert_contains "$body" '"notes":"<script>alert(1)<\/script>"'

case_ api_run_metrics_as_the_cli_writes_them
# /api/runs/ID/metrics[?key=K] is `aeromancy metrics ID [K] --json`, point
# for point (run 2: aerodemo's train, its loss; run 3: evaluate, four
# metrics; run 1: ingest, none).
for q in "2" "3" "3 test_mse" "1"; do
  read -r id key <<<"$q"
  http "/api/runs/$id/metrics${key:+?key=$key}"
  assert_eq "$code" 200 "$q"
  assert_contains "$headers" "Content-Type: application/json"
  run "$AEROMANCY" metrics "$id" $key --json
  assert_rc 0
  assert_eq "$(jq -c . <<<"$body")" "$(jq -c . <<<"$out")" "metrics $q"
done
assert_eq "$(jq 'length' <<<"$body")" 0 "run 1 logged no metric"
http "/api/runs/3/metrics?key=test_mse"
assert_eq "$(jq -c '[.[].key] | unique' <<<"$body")" '["test_mse"]'
http "/api/runs/3/metrics"
assert_eq "$(jq -c '[.[].key] | unique' <<<"$body")" \
  '["test_mae","test_mse","test_r2","test_rmse"]'

http "/api/runs/2/metrics?key=no_such_metric"
assert_eq "$code" 404
assert_contains "$body" "run 2 has no metric 'no_such_metric'"
http "/api/runs/99/metrics"
assert_eq "$code" 404

case_ api_artifact_versions_carry_metadata
http "/api/artifacts?ref=aerodemo/model"
assert_eq "$code" 200
assert_eq "$(jq -r '.artifacts[0].metadata | keys | join(",")' <<<"$body")" \
  "final_loss,trained_on"
assert_eq "$(jq -r '.artifacts[0].metadata.final_loss | type' <<<"$body")" number
assert_contains "$(jq -r '.artifacts[0].metadata.trained_on' <<<"$body")" \
  "aerodemo/dataset:v"
http "/api/artifacts?ref=aerodemo/dataset:v0"
assert_eq "$(jq -c '.artifacts[0].metadata' <<<"$body")" \
  '{"test_rows":64,"train_rows":192}'
http /api/runs/2
assert_eq "$(jq -r '.outputs[0].metadata.trained_on' <<<"$body")" \
  "$(jq -r '.inputs[0].ref' <<<"$body")"

case_ a_download_keeps_its_name
# A file whose name is not plain ASCII: the name itself in filename*
# (RFC 6266, UTF-8 percent-encoded), a plain fallback in filename.
printf 'bytes\n' >"$AERO_TMP/naïve ✓.bin"
run "$AEROHOST" run --dev --force "$AERO_FIXTURES/bench_hash.so" -- \
  --file "$AERO_TMP/naïve ✓.bin" --name oddname
assert_rc 0
http "/api/artifacts?ref=bench/oddname"
vid=$(jq -r '.artifacts[0].id' <<<"$body")
sha=$(jq -r '.artifacts[0].files[0].sha256' <<<"$body")
http "/api/files/$vid/$sha"
assert_eq "$code" 200
assert_eq "$body" "bytes"
disposition=$(grep -i '^content-disposition:' <<<"$headers" | tr -d '\r')
assert_contains "$disposition" "filename=\"na__ve____.bin\""
assert_contains "$disposition" "filename*=UTF-8''na%C3%AFve%20%E2%9C%93.bin"

case_ api_runs_filters_select
# Each filter of the runs page, through /api/runs: what it keeps and what
# it leaves out (the store: aerodemo dev runs and trk_pipeline's ingest).
ids() { jq -r '[.runs[].id] | join(" ")' <<<"$body"; }
http "/api/runs?limit=500"
all=$(ids)
http "/api/runs?job_type=train"
assert_eq "$(jq -r '[.runs[].job_type] | unique | join(" ")' <<<"$body")" train
assert_eq "$(ids)" "5 2"
http "/api/runs?project=aerodemo&status=ok"
assert_eq "$(jq -r '[.runs[] | .project + ":" + .status] | unique | join(" ")' <<<"$body")" \
  "aerodemo:ok"
http "/api/runs?project=trk&limit=500"
assert_eq "$(jq -r '[.runs[].project] | unique | join(" ")' <<<"$body")" trk
http "/api/runs?status=running"
assert_eq "$(ids)" ""
http "/api/runs?mode=prod"
assert_eq "$(ids)" ""
http "/api/runs?mode=dev&limit=500"
assert_eq "$(ids)" "$all"
now=$(date +%s)
http "/api/runs?since=$((now - 3600))&limit=500"
assert_eq "$(ids)" "$all" "since an hour ago"
http "/api/runs?since=$((now + 3600))"
assert_eq "$(ids)" "" "since an hour from now"
# Past 2262 the time in nanoseconds leaves int64: no run, as the CLI says.
http "/api/runs?since=9300000000"
assert_eq "$code" 200 "since 2264"
assert_eq "$(ids)" "" "since 2264"
http "/api/runs?branch=no-such-branch"
assert_eq "$(ids)" ""
http "/api/runs?tag=no-such-tag"
assert_eq "$(ids)" ""

case_ request_size_bounded
big=$(head -c 70000 /dev/zero | tr '\0' a)
http -H "X-Big: $big" /
[[ $code == 431 || $code == 413 || $code == 000 ]] ||
  fail "a 70 KB header got $code"
http "/?q=$big"
[[ $code == 414 || $code == 431 || $code == 000 ]] ||
  fail "a 70 KB URL got $code"
http /
assert_eq "$code" 200 "served after oversized requests"

case_ connections_bounded
fds=()
for ((i = 0; i < 70; i++)); do
  exec {fd}<>"/dev/tcp/127.0.0.1/$UI_PORT" && fds+=("$fd")
done
sleep 0.3
http --max-time 2 /
[[ $code != 200 ]] || fail "a 71st connection was served while 70 were open"
for fd in "${fds[@]}"; do exec {fd}>&-; done
sleep 0.3
http --max-time 5 /
assert_eq "$code" 200 "served once the idle connections closed"

case_ a_finished_runs_page_computes_its_answers_ahead
# Asking for /run/ID has the server compute that run's answer and its
# charts' series at once (ui_prefetch.h): they are kept before the page's
# scripts ask for them. Shown by removing the points from the store in
# between: the series still comes, from memory.
run "$AEROHOST" run "$DEMO" --dev --only train
assert_rc 0
ahead=$(sql "SELECT max(id) FROM runs WHERE job_type = 'train'")
# (run 5's series was asked for above)
other=$(sql "SELECT min(id) FROM runs WHERE job_type = 'train' AND id != 5")
[[ -n $ahead && $ahead != "$other" ]] || fail "no two train runs"
http "/run/$ahead"
assert_eq "$code" 200
sleep 2 # the computing is done long before (a few ms)
for r in "$ahead" "$other"; do
  if [[ $AERO_TEST_BACKEND == postgres ]]; then
    sql "DELETE FROM metrics WHERE run_id = $r AND key = 'loss'"
  else
    sql "DELETE FROM metric_blocks WHERE run_id = $r AND key = 'loss'"
  fi
done
http "/api/runs/$ahead/series?key=loss"
assert_eq "$code" 200
assert_contains "$body" '"key":"loss","count":'
# A run whose page was not asked for is read from the store.
http "/api/runs/$other/series?key=loss"
assert_eq "$code" 404

if [[ $AERO_TEST_BACKEND == local ]]; then
  case_ a_dead_hosts_run_reads_killed
  # A host killed with SIGKILL while its action hangs: within the server's
  # pace (a take-over every 2 s at most), the page's answers record and
  # show its run killed, not running.
  start_abandoned sql
  # The lineage page shows the runs that read a version, with their
  # statuses: it takes over a dead host's runs too (asked first here).
  lineage_killed() {
    http "/api/lineage?ref=execdemo/data&down=1"
    [[ $(jq -r --argjson id "$hung" \
      '[.. | objects | select(.id? == $id and has("status")) | .status] | first' \
      <<<"$body") == killed ]]
  }
  wait_until 100 0.05 lineage_killed ||
    fail "run $hung in the lineage still reads: $(jq -c . <<<"$body" | head -c 600)"
  killed_shown() {
    http "/api/runs/$hung"
    [[ $body == *'"status":"killed"'* ]]
  }
  wait_until 100 0.05 killed_shown ||
    fail "run $hung still reads: $(jq -r .status <<<"$body")"
  assert_contains "$(jq -r .message <<<"$body")" "aerohost ended without recording"
  http "/api/runs?status=running"
  assert_eq "$(jq '.runs | length' <<<"$body")" 0
fi

case_ stops_cleanly_on_sigterm
ui_stop
assert_eq "$ui_rc" 0 "exit code after SIGTERM"

case_ bad_options
run "$AEROMANCY" ui --port 70000
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "--port"
run "$AEROMANCY" ui --host not-an-address --port 0
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "not-an-address"
run "$AEROMANCY" ui --bogus
assert_rc 3
assert_contains "$err" "--bogus"
run "$AEROMANCY" ui --port
assert_rc 3
assert_contains "$err" "needs a value"

case_ port_in_use_is_one_line
ui_start || fail "server did not start"
run "$AEROMANCY" ui --port "$UI_PORT"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "port $UI_PORT"
ui_stop

if [[ $AERO_TEST_BACKEND == local ]]; then
  case_ names_a_store_in_home_as_tilde
  # As the run summary, fsck and gc do.
  cp -a "$AEROMANCY_STORE" "$HOME/st"
  ui_start --store "$HOME/st" || fail "server did not start on ~/st"
  assert_contains "$(cat "$AERO_TMP/ui.err")" "serving ~/st on http://127.0.0.1:"
  ui_stop
  rm -rf "$HOME/st"
fi

case_ other_host_warns
ui_start --host 0.0.0.0 || fail "server did not start on 0.0.0.0"
assert_contains "$(cat "$AERO_TMP/ui.err")" "warning: listening on 0.0.0.0"
http /
assert_eq "$code" 200
ui_stop

done_
