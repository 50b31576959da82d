#!/usr/bin/env bash
# tests/slurm.sh's aero_slurm_start, when the cluster does not come up:
# its one line says how each daemon is (exited with its status, or still
# running and where it waits) and what the daemons wrote to their stdout
# and stderr, not only their logs (an error before a log is open goes
# there; a start that timed out said "node: none" and nothing else). Fake
# daemons and clients stand in for Slurm's: no cluster starts.
. "$(dirname "$0")/../lib.sh"
((EUID == 0)) || {
  echo "$AERO_TEST_NAME: skipped: the test Slurm cluster runs as root"
  exit 0
}

fake=$AERO_TMP/sbin
mkdir -p "$fake"
# slurmctld: says why and exits 3 when FAKE_CTLD_FAILS is set, else waits.
cat >"$fake/slurmctld" <<'EOF'
#!/usr/bin/env bash
echo $$ >>"$FAKE_PIDS"
echo "fake slurmctld: starting"
[[ -n ${FAKE_CTLD_FAILS:-} ]] && { echo "fake slurmctld: cannot read its state" >&2; exit 3; }
exec sleep 300
EOF
# slurmd: nothing to report for -C (the node's resources), else waits.
cat >"$fake/slurmd" <<'EOF'
#!/usr/bin/env bash
[[ $1 == -C ]] && exit 0
echo $$ >>"$FAKE_PIDS"
echo "fake slurmd: waiting for the controller" >&2
exec sleep 300
EOF
printf '#!/bin/sh\necho "fake sinfo: no controller" >&2\nexit 1\n' >"$fake/sinfo"
printf '#!/bin/sh\nexit 0\n' >"$fake/sbatch"
cp "$fake/sbatch" "$fake/scancel"
chmod +x "$fake"/*

# start [VAR=VALUE...]: aero_slurm_start on the fakes, in a test of its
# own (it exits), as outside CI (where a cluster that cannot start is a
# skip with the reason, not a failure).
start() {
  run env -u CI PATH="$fake:$PATH" AERO_SLURM_SBIN="$fake" \
    FAKE_PIDS="$AERO_TMP/pids" "$@" \
    bash -c '. "$1/lib.sh"; . "$1/slurm.sh"; aero_slurm_start; echo started' \
    start "$AERO_SOURCE_DIR/tests"
}

case_ a_daemon_that_exits_is_named_with_its_status_and_output
start FAKE_CTLD_FAILS=1
assert_rc 0
assert_not_contains "$out" started
assert_contains "$out" "skipped: Slurm did not start (node: none; "
assert_contains "$out" "slurmctld exited 3"
assert_contains "$out" "slurmd running ("
assert_contains "$out" "fake slurmctld: cannot read its state"
assert_contains "$out" "fake slurmd: waiting for the controller"
assert_contains "$out" "fake sinfo: no controller"
assert_eq "$(printf '%s\n' "$out" | wc -l)" 1 "one line"

case_ daemons_that_never_answer_are_shown_running
start AERO_SLURM_START_SECONDS=1
assert_rc 0
assert_contains "$out" "slurmctld running ("
assert_contains "$out" "slurmd running ("
assert_contains "$out" "waited up to 1 s"
assert_contains "$out" "fake slurmctld: starting"
# Stopped at the skip: no fake daemon outlives the start.
for pid in $(cat "$AERO_TMP/pids"); do
  kill -0 "$pid" 2>/dev/null && fail "fake daemon $pid left running"
done

done_
