#!/usr/bin/env bash
# The one-node Slurm cluster that tests/slurm.sh starts (the Slurm
# executor's tests stand on it): it comes up idle, runs a batch job,
# holds a job back until its afterok parent succeeded, and never runs the
# child of a failed parent.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slurm.sh"
cd "$AERO_TMP" || exit 1
# The first port aero_slurm_start picks is taken (RANDOM seeded, so the
# same port is computed here): it must start the cluster on another try,
# in a state folder of its own (one named by the first try was refused).
RANDOM=4242
first=$((20000 + (RANDOM % 10000) * 4))
# It holds the port until it is killed or this test ends, however it ends.
python3 -c 'import os, socket, sys, time
s = socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1)
parent = os.getppid()
while os.getppid() == parent: time.sleep(0.5)' "$first" >/dev/null 2>&1 &
squatter=$!
sleep 0.5
RANDOM=4242
aero_slurm_start
kill "$squatter"
wait "$squatter" 2>/dev/null

# state JOB: the job's state as squeue shows it (ended jobs stay listed).
state() { squeue -h -t all -j "$1" -o %T 2>/dev/null; }
# ended JOB...: none of the jobs is pending, running or completing.
ended() {
  local j s
  for j in "$@"; do
    s=$(state "$j")
    [[ $s == PENDING || $s == RUNNING || $s == COMPLETING || $s == CONFIGURING ]] && return 1
  done
  return 0
}
# wait_ended JOB...: until they ended (30 s at most).
wait_ended() {
  wait_until 300 0.1 ended "$@"
}

case_ node_idle
assert_eq "$(sinfo -h -N -o '%N %T')" "localhost idle"
port=$(grep -o '^SlurmctldPort=[0-9]*' "$SLURM_CONF" | cut -d= -f2)
[[ -n $port && $port != "$first" ]] || fail "started on the taken port $first ($port)"

case_ dependency_chain
a=$(sbatch --parsable -o "$AERO_TMP/a.out" --wrap "sleep 1; echo a >'$AERO_TMP/order'")
b=$(sbatch --parsable -o "$AERO_TMP/b.out" --dependency="afterok:$a" \
  --wrap "echo b >>'$AERO_TMP/order'")
wait_ended "$a" "$b" || fail "jobs did not end"
assert_eq "$(state "$a") $(state "$b")" "COMPLETED COMPLETED"
assert_eq "$(tr '\n' ' ' <"$AERO_TMP/order")" "a b " "b ran after a"

case_ failed_parent
a=$(sbatch --parsable -o /dev/null --wrap 'exit 3')
b=$(sbatch --parsable -o /dev/null --dependency="afterok:$a" --kill-on-invalid-dep=yes \
  --wrap "touch '$AERO_TMP/ran'")
wait_ended "$a" "$b" || fail "jobs did not end"
assert_eq "$(state "$a")" FAILED
assert_eq "$(state "$b")" CANCELLED "child of a failed parent"
[[ ! -e $AERO_TMP/ran ]] || fail "the child ran"

done_
