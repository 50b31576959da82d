#!/usr/bin/env bash
# The servers a test starts (tests/servers.sh: PostgreSQL, s3rver;
# tests/slurm.sh: slurmctld, slurmd, slurmdbd, MariaDB and the jobs) die
# with the test even when it is SIGKILLed, as ctest's TIMEOUT does, and no
# trap of its runs (tests/reaper.sh): a child test starts them and is killed
# here, and within a bounded wait none of its processes is left, its
# folders are gone, and the lock it ran under (flock, as /work/slurm.lock)
# is free; while it ran no server held that lock. A child that ends
# normally leaves nothing either (its watchdog ends with it).
# Skips where the servers cannot start (tests/servers.sh says when).
. "$(dirname "$0")/../lib.sh"

TESTS=$(cd "$(dirname "$0")/.." && pwd)
LOCK=$AERO_TMP/lock
: >"$LOCK"

# The child test: starts the servers of KIND (team or slurm), writes what
# it started to $READY, then waits (HOW=wait) or ends normally (HOW=exit).
cat >"$AERO_TMP/child.sh" <<EOF
. "$TESTS/lib.sh"
. "$TESTS/slurm.sh"
case \$1 in
team) aero_team_start ;;
slurm)
  AERO_SLURM_ACCOUNTING=1
  aero_team_start
  aero_slurm_start
  sbatch -Q --wrap 'sleep 300' >/dev/null || exit 1
  aero_slurm_wait_running_job() { [[ -n \$(squeue -h -t RUNNING -o %i) ]]; }
  wait_until 600 0.1 aero_slurm_wait_running_job || exit 1
  ;;
esac
{
  echo "child=\$\$ token=\$AERO_REAP_TOKEN pg=\$AERO_PG_DIR s3=\$AERO_S3_DIR"
  echo "slurm=\${AERO_SLURM_DIR:-} tmp=\$AERO_TMP"
  echo "pm=\$(head -1 "\$AERO_PG_DIR/data/postmaster.pid") s3pid=\$AERO_S3_PID"
} >"\$READY.part" && mv "\$READY.part" "\$READY"
[[ \$2 == wait ]] && sleep 300
exit 0
EOF

# token_pids TOKEN: the live processes whose environment holds
# AERO_REAP_TOKEN=TOKEN (what the child started, the watchdog among them).
token_pids() {
  local env pid vars var
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}
    pid=${pid%/environ}
    mapfile -d '' -t vars 2>/dev/null <"$env" || continue
    for var in "${vars[@]}"; do
      [[ $var == "AERO_REAP_TOKEN=$1" ]] || continue
      ! aero_alive "$pid" || echo "$pid"
      break
    done
  done
}
# none_left: none of $watched (the child's processes, PostgreSQL's
# postmaster and s3rver among them) runs.
none_left() {
  local pid
  for pid in $watched; do aero_alive "$pid" && return 1; done
  return 0
}
ready() { [[ -e $READY ]] || ! aero_alive "$flock_pid"; }

# start_child KIND HOW: runs the child under flock on $LOCK; reads $READY
# into child, token, pg, s3, slurm, tmp, pm, s3pid. Skips the test when
# the child could not start its servers.
start_child() {
  export READY=$AERO_TMP/ready.$1.$2
  flock "$LOCK" bash "$AERO_TMP/child.sh" "$1" "$2" >"$AERO_TMP/child.out" 2>&1 &
  flock_pid=$!
  wait_until 3000 0.1 ready
  if [[ ! -e $READY ]]; then
    wait "$flock_pid"
    if grep -q 'skipped:' "$AERO_TMP/child.out" && [[ ${CI:-} != true ]]; then
      echo "$AERO_TEST_NAME: skipped: $(grep 'skipped:' "$AERO_TMP/child.out")"
      exit 0
    fi
    fail "the child test did not start its servers: $(tail -5 "$AERO_TMP/child.out")"
    done_
    exit 1
  fi
  # shellcheck disable=SC2046
  eval $(cat "$READY")
}

# holders_of_lock PID...: those of PIDs that hold $LOCK open.
holders_of_lock() {
  local pid
  for pid; do
    ls -l "/proc/$pid/fd" 2>/dev/null | grep -q -- "-> $LOCK\$" && echo "$pid"
  done
}

# killed_leaves_nothing KIND: the child, SIGKILLed, leaves no process.
killed_leaves_nothing() {
  start_child "$1" wait
  local before
  watched="$(token_pids "$token") $pm $s3pid"
  before=$(token_pids "$token" | wc -l)
  # The child, the postmaster (its children rewrite their environment to
  # show their role), s3rver and the watchdog at least.
  ((before >= 4)) || fail "only $before processes carry the child's mark"
  aero_alive "$pm" || fail "PostgreSQL ($pm) is not running"
  aero_alive "$s3pid" || fail "s3rver ($s3pid) is not running"
  # The servers: all but the child itself and the sleep it waits in.
  local servers
  servers=$(token_pids "$token" | grep -vxF -e "$child" -e "$(pgrep -P "$child" -x sleep)")
  # shellcheck disable=SC2086
  assert_eq "$(holders_of_lock $servers)" "" "servers holding the test's lock"
  # The watchdog's wait forks nothing (it lives as long as the test): over
  # 1 s (5 of its looks) it reaps no child.
  local watchdog faults
  watchdog=$(pgrep -f "reaper.sh $child " | head -1)
  [[ -n $watchdog ]] || fail "no watchdog runs for the child ($child)"
  # cminflt: the page faults of the children it has reaped, which grows
  # with every process it forks and waits for.
  faults=$(aero_proc_field "$watchdog" 11)
  sleep 1
  assert_eq "$(aero_proc_field "$watchdog" 11)" "$faults" "page faults of the watchdog's children after 1 s of waiting"
  kill -KILL "$child"
  wait "$flock_pid"
  if ! wait_until 300 0.1 none_left || [[ -n $(token_pids "$token") ]]; then
    fail "left after 30 s: $( (token_pids "$token"; echo "$watched") | xargs -r ps -o pid=,args= -p)"
    # Not to leave them (nor the lock held) to the next case.
    SLURM_CONF=$slurm/slurm.conf timeout 10 scancel --user=root >/dev/null 2>&1
    kill -QUIT "$pm" 2>/dev/null
    token_pids "$token" | xargs -r kill -KILL
    rm -rf "$pg" "$s3" "$slurm" "$tmp" "$token"
  fi
  local d
  for d in "$pg" "$s3" "$slurm" "$tmp" "$token"; do
    [[ -z $d || ! -e $d ]] || fail "$d is left"
  done
  flock -n "$LOCK" true || fail "the lock is still held"
}

case_ "team store servers of a SIGKILLed test"
killed_leaves_nothing team

case_ "team store servers of a test that ends"
start_child team exit
watched="$pm $s3pid"
wait "$flock_pid"
assert_eq "$?" 0 "the child's exit status"
# left_of PID...: what each of PIDs that still runs is, said at once.
left_of() {
  local pid
  for pid; do
    aero_alive "$pid" && echo "$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
  done
}
wait_until 300 0.1 none_left ||
  fail "servers left after 30 s: $(left_of $watched)"
# The watchdog too (it looks at its folder every 0.2 s). The marked
# processes are found once (a scan of every environment is slow under
# load); nothing new takes the mark once the child is gone.
marked=$(token_pids "$token")
none_marked() {
  local pid
  for pid in $marked; do aero_alive "$pid" && return 1; done
  return 0
}
wait_until 300 0.1 none_marked ||
  fail "marked processes left after 30 s: $(left_of $marked)"
for d in "$pg" "$s3" "$tmp" "$token"; do
  [[ ! -e $d ]] || fail "$d is left"
done

if ((EUID == 0)) && [[ -x /usr/sbin/slurmctld ]] || [[ ${CI:-} == true ]]; then
  case_ "Slurm cluster, its database and a job of a SIGKILLed test"
  killed_leaves_nothing slurm
else
  echo "$AERO_TEST_NAME: the Slurm case skipped (not root, or no slurmctld)"
fi

done_
