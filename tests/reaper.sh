# The test servers' watchdog: stops what a test started once the test is
# gone without stopping it itself (ctest's TIMEOUT SIGKILLs the test's
# process tree, and no trap runs; a daemon re-parented to init, as
# PostgreSQL, slurmstepd or anything of a half-killed tree, escapes).
# servers.sh starts it, detached (setsid -f), at the first server:
#   bash reaper.sh TEST_PID TEST_START DIR
# TEST_START is the test's start time (field 22 of /proc/PID/stat), so that
# a pid used again is not taken for the test. DIR is the watchdog's folder:
# the test's normal teardown removes it once its servers are stopped, and
# the watchdog then ends without doing anything. When the test is gone and
# DIR is still there, the watchdog:
#   1. stops each PostgreSQL listed in DIR/pg (a data folder a line;
#      SIGQUIT to the postmaster: an immediate shutdown, its children with it);
#   2. cancels the jobs of each Slurm cluster listed in DIR/slurm (a
#      slurm.conf a line), while its controller may still answer;
#   3. kills the containers of each project folder listed in DIR/docker
#      (a folder a line; the runner labels a container with its project's
#      folder, org.aeromancy.project-dir, and a folder under the listed
#      one counts), while the engine may still answer: a container's
#      processes are the engine's, not the test's, and carry no mark;
#   4. SIGKILLs every process whose environment holds AERO_REAP_TOKEN=DIR
#      (servers.sh exports it before the first server starts: every server,
#      Slurm job and other process the test left inherited it);
#   5. removes the folders listed in DIR/dirs, then DIR.
# It holds none of the test's descriptors (a lock the test ran under, as
# /work/slurm.lock, is not kept by it), and writes nothing.

test_pid=$1 test_start=$2 dir=$3
# What it starts itself (grep, scancel) is not the test's.
unset AERO_REAP_TOKEN
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  ((fd > 2 && fd != 255)) && { eval "exec $fd>&-"; } 2>/dev/null
done

# aero_reap_start_of PID: sets start to the start time of PID (empty when
# gone). It sets a variable rather than printing: `$(...)` would fork a
# subshell on every tick of the wait below.
aero_reap_start_of() {
  local stat fields
  start=
  read -r stat </proc/"$1"/stat 2>/dev/null || return 0
  read -r -a fields <<<"${stat##*) }"
  printf -v start '%s' "${fields[19]}"
}

# alive PID: PID runs (a zombie does not: one re-parented to an init that
# does not reap stays one).
alive() {
  local stat fields
  read -r stat </proc/"$1"/stat 2>/dev/null || return 1
  read -r -a fields <<<"${stat##*) }"
  [[ ${fields[0]} != Z ]]
}

# A wait that forks nothing: read on a FIFO that no one writes. Made
# outside DIR and unlinked at once: made inside it, it raced the test's
# normal teardown (a FIFO made while `rm -rf DIR` ran left DIR behind,
# and the watchdog then reaped a test that had ended well).
tick_fifo=$(mktemp -u /tmp/aero-reap-tick.XXXXXX)
if mkfifo "$tick_fifo" 2>/dev/null && exec 3<>"$tick_fifo"; then
  rm -f "$tick_fifo"
  tick() { read -r -t "$1" -u 3 _; }
else
  rm -f "$tick_fifo"
  tick() { sleep "$1"; }
fi

while [[ -d $dir ]] && aero_reap_start_of "$test_pid" && [[ $start == "$test_start" ]]; do
  tick 0.2
done
[[ -d $dir ]] || exit 0

# 1. PostgreSQL: an immediate shutdown, up to 5 s.
if [[ -f $dir/pg ]]; then
  while read -r data; do
    pm=$(head -1 "$data/postmaster.pid" 2>/dev/null)
    # Its own: a postmaster works in its data folder.
    [[ -n $pm && $(readlink "/proc/$pm/cwd") == "$data" ]] || continue
    kill -QUIT "$pm" 2>/dev/null || continue
    for ((i = 0; i < 25; i++)); do
      alive "$pm" || break
      tick 0.2
    done
  done <"$dir/pg"
fi
# 2. Slurm's jobs, through their controller (10 s at most).
if [[ -f $dir/slurm ]]; then
  while read -r conf; do
    SLURM_CONF=$conf timeout 10 scancel --quiet --user=root </dev/null >/dev/null 2>&1
  done <"$dir/slurm"
fi
# 3. The test's containers, through their engine (10 s at most each).
if [[ -f $dir/docker ]]; then
  while read -r folder; do
    timeout 10 docker ps --no-trunc \
      --format '{{.ID}} {{.Label "org.aeromancy.project-dir"}}' </dev/null 2>/dev/null |
      while read -r id project; do
        [[ $project == "$folder" || $project == "$folder"/* ]] && echo "$id"
      done | xargs -r timeout 10 docker kill >/dev/null 2>&1
  done <"$dir/docker"
fi
# 4. Everything else the test started, until none is left (bounded).
for ((round = 0; round < 50; round++)); do
  left=0
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}
    pid=${pid%/environ}
    ((pid == $$)) && continue
    # Read by bash itself: a grep a process would take seconds a round.
    mapfile -d '' -t vars 2>/dev/null <"$env" || continue
    for var in "${vars[@]}"; do
      [[ $var == "AERO_REAP_TOKEN=$dir" ]] || continue
      alive "$pid" && kill -KILL "$pid" 2>/dev/null && left=1
      break
    done
  done
  ((left)) || break
  tick 0.1
done
# 5. The servers' folders.
[[ -f $dir/dirs ]] && while read -r d; do rm -rf "$d"; done <"$dir/dirs"
rm -rf "$dir"
