#!/usr/bin/env bash
# The one-node Slurm cluster that tests/slurm.sh starts (the Slurm
# executor's tests stand on it): it comes up idle, runs a batch job,
# holds a job back until its afterok parent succeeded, and never runs the
# child of a failed parent.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slurm.sh"
cd "$AERO_TMP" || exit 1
aero_slurm_start

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
