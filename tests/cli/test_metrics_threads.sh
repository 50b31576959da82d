#!/usr/bin/env bash
# Tracker calls from several threads of one action at once: 8 threads log
# points under keys of their own (one point a call, and pairs in one
# aero_log_metrics call), log lines, read the scratch folder, declare an
# input and each its own output, all from the start line together. Every
# point of every thread is recorded exactly (count, steps and sum of
# values per key), every line, every output; the run is ok and fsck finds
# nothing. In the action's own process (the relay) and in the host's
# (--no-isolation: the store's handle directly). Each case runs a few
# times: how the calls interleave differs from run to run.
# Fixture: tests/plugins/metrics_threads.c.
. "$(dirname "$0")/../lib.sh"

P=$AERO_FIXTURES/metrics_threads.so
unset AEROMANCY_GIT_COMMIT AEROMANCY_IMAGE_ID AEROMANCY_CONFIG XDG_DATA_HOME
THREADS=8
# Fewer points in the host's process, where each call is a transaction of
# its own (no relay batching them).
RELAYED=10000
IN_HOST=2000

# expected POINTS: one line per key, "key|points|sum of values|distinct steps",
# what the fixture logs (thread i: t<i> = i * POINTS + j at step j for
# every j; t<i>.pair = j at every 8th step).
expected() {
  local i POINTS=$1 pairs=$(($1 / 8))
  for ((i = 0; i < THREADS; i++)); do
    echo "t$i|$POINTS|$((i * POINTS * POINTS + POINTS * (POINTS - 1) / 2))|$POINTS"
    # j = 7, 15, ..., 8 * pairs - 1
    echo "t$i.pair|$pairs|$((pairs * (8 * pairs + 6) / 2))|$pairs"
  done
}
# hammer POINTS ARGS...: runs the fixture, each thread logging POINTS,
# and checks the record of its [hammer] run.
hammer() {
  local POINTS=$1
  shift
  run "$AEROHOST" run --dev --force "$@" "$P" -- --threads "$THREADS" \
    --points "$POINTS"
  assert_rc 0
  [[ $rc == 0 ]] || echo "$err" | tail -3 >&2
  local id
  id=$(sql "SELECT max(id) FROM runs")
  assert_eq "$(sql "SELECT status FROM runs WHERE id = $id")" ok "status"
  # Integral sums: printed as integers, as expected() computes them.
  assert_eq "$(sql "SELECT key, count(*), CAST(sum(value) AS INTEGER),
                           count(DISTINCT step)
                    FROM metrics WHERE run_id = $id GROUP BY key
                    ORDER BY key")" "$(expected "$POINTS")" "points per key"
  assert_eq "$(sql "SELECT count(*), count(DISTINCT message) FROM run_logs
                    WHERE run_id = $id AND message LIKE 'thread %'")" \
    "$((THREADS * ((POINTS + 499) / 500)))|$((THREADS * ((POINTS + 499) / 500)))" \
    "log lines"
  assert_eq "$(sql "SELECT count(*) FROM run_outputs WHERE run_id = $id")" \
    "$THREADS" "outputs"
}

case_ "threads of an action in its own process: every call recorded"
for _ in 1 2 3; do
  hammer "$RELAYED"
done

case_ "threads of an action in the host's process (--no-isolation)"
for _ in 1 2 3; do
  hammer "$IN_HOST" --no-isolation
done

case_ "fsck: the store is consistent"
run "$AEROMANCY" fsck
assert_rc 0

done_
