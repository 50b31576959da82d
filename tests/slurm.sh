# A real one-node Slurm cluster for the Slurm executor's tests: Debian's
# slurmctld and slurmd (Slurm 22.05), started by the test on loopback as
# root in a temporary folder, stopped at exit. Source it after tests/lib.sh:
#   . "$(dirname "$0")/../slurm.sh"
#   aero_slurm_start   # sets SLURM_CONF (the clients find the cluster by it)
# Under CI=true a cluster that cannot start fails the test; elsewhere the
# test is skipped (aero_servers_skip).
#
# With AERO_SLURM_ACCOUNTING=1 (set before aero_slurm_start) the cluster
# also keeps accounting, as most real ones do: Debian's mariadbd with its
# own data folder in the cluster's folder (a socket there and loopback;
# no grant tables: nothing but the test reaches it) and slurmdbd, so
# that sacct answers for jobs squeue no longer lists. Without it the
# cluster has no accounting (AccountingStorageType=accounting_storage/none).
#
# No munge: the build has auth/none and cred/none, and every process runs
# as root on one machine, so there is nothing to authenticate. Ports are
# picked at random (two tests may run clusters at once) and retried when
# taken. Everything the daemons write (state, spool, logs, pid files) is in
# the cluster's folder, AERO_SLURM_DIR.

[[ -z ${AERO_SLURM_LOADED:-} ]] || return 0
AERO_SLURM_LOADED=1
. "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
AERO_SLURM_SBIN=${AERO_SLURM_SBIN:-/usr/sbin}
aero_slurm_pids=()
aero_slurm_names=() # each daemon's name, for aero_slurm_how

aero_slurm_stop() {
  local pid
  [[ -n ${SLURM_CONF:-} ]] && scancel --quiet --user=root >/dev/null 2>&1
  aero_slurm_kill
  aero_servers_stop
}

# aero_slurm_kill: stops the daemons, the last started first (slurmdbd
# before its database).
aero_slurm_kill() {
  local i
  for ((i = ${#aero_slurm_pids[@]} - 1; i >= 0; i--)); do
    kill "${aero_slurm_pids[i]}" 2>/dev/null && wait "${aero_slurm_pids[i]}" 2>/dev/null
  done
  aero_slurm_pids=()
  aero_slurm_names=()
}

# aero_slurm_daemon NAME CMD...: starts daemon NAME in the background, its
# stdout and stderr to NAME.out in the cluster's folder.
aero_slurm_daemon() {
  local name=$1
  shift
  (aero_fds_close && exec "$@") >>"$AERO_SLURM_DIR/$name.out" 2>&1 &
  aero_slurm_pids+=($!)
  aero_slurm_names+=("$name")
}

# aero_slurm_how: sets aero_slurm_how to how each daemon is: "NAME exited
# STATUS", or running with its process state and the kernel function it
# waits in (a daemon stuck on a lock or the disk says so). Not in a
# subshell: only this shell can wait for its daemons.
aero_slurm_how() {
  local i pid rc st wchan
  aero_slurm_how=
  for i in "${!aero_slurm_pids[@]}"; do
    pid=${aero_slurm_pids[i]}
    if kill -0 "$pid" 2>/dev/null; then
      st=$(aero_proc_field "$pid" 3)
      wchan=$(cat "/proc/$pid/wchan" 2>/dev/null)
      aero_slurm_how+="${aero_slurm_names[i]} running (${st:-?} ${wchan:-?}); "
    else
      rc=0
      wait "$pid" 2>/dev/null || rc=$?
      aero_slurm_how+="${aero_slurm_names[i]} exited $rc; "
    fi
  done
}
trap aero_slurm_stop EXIT

# aero_slurm_conf PORT: writes slurm.conf for the controller on PORT and
# the node's slurmd on PORT+1 (and, with accounting, slurmdbd.conf for
# slurmdbd on PORT+2, its MariaDB on PORT+3). AERO_SLURM_MIN_JOB_AGE:
# seconds an ended job stays in squeue (3600; a test of purged jobs sets a
# few). AERO_SLURM_FIRST_JOB_ID: the first job's id (1; a test of long job
# lists sets a 7-digit one).
aero_slurm_conf() {
  local d=$AERO_SLURM_DIR cpus mem acct=accounting_storage/none
  if [[ ${AERO_SLURM_ACCOUNTING:-} == 1 ]]; then
    acct="accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$(($1 + 2))"
    cat >"$d/slurmdbd.conf" <<EOF
AuthType=auth/none
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$(($1 + 2))
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$(($1 + 3))
StorageUser=root
StorageLoc=slurm_acct_db
PidFile=$d/slurmdbd.pid
LogFile=$d/slurmdbd.log
DebugLevel=info
EOF
    # slurmdbd refuses a configuration others may read.
    chmod 600 "$d/slurmdbd.conf"
  fi
  cpus=$(nproc)
  # slurmd -C reports what the node has; RealMemory must not exceed it.
  mem=$("$AERO_SLURM_SBIN/slurmd" -C 2>/dev/null | grep -o 'RealMemory=[0-9]*' | cut -d= -f2)
  [[ -n $mem ]] || mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024))
  cat >"$d/slurm.conf" <<EOF
ClusterName=aero$1
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$1
SlurmdPort=$(($1 + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without it a job would hold all the memory, and jobs would run one by one.
DefMemPerCPU=64
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1,batch_sched_delay=0
ReturnToService=2
MinJobAge=${AERO_SLURM_MIN_JOB_AGE:-3600}
FirstJobId=${AERO_SLURM_FIRST_JOB_ID:-1}
KillWait=2
InactiveLimit=0
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=$acct
JobCompType=jobcomp/none
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
SlurmctldDebug=info
# debug: slurmd says when it builds a job's login environment (tests/cli/test_slurm.sh).
SlurmdDebug=debug
# Two GPUs that are files in the cluster's folder (gres.conf): Slurm hands
# them out as it would real ones (SLURM_JOB_GPUS, CUDA_VISIBLE_DEVICES).
GresTypes=gpu
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  # Slurm wants a device per GPU: two of /dev/null's kind (char 1:3).
  rm -f "$d/gpu0" "$d/gpu1"
  mknod "$d/gpu0" c 1 3 && mknod "$d/gpu1" c 1 3 &&
    echo "Name=gpu File=$d/gpu[0-1]" >"$d/gres.conf"
}

# aero_slurm_start: starts slurmctld and slurmd, waits until sinfo shows
# the node idle (AERO_SLURM_START_SECONDS at most, 180; a daemon that
# exits ends the wait). Sets and exports SLURM_CONF and AERO_SLURM_DIR.
# A cluster that does not start says how each daemon is and the tails of
# what each wrote.
aero_slurm_start() {
  ((EUID == 0)) || aero_servers_skip "the test Slurm cluster runs as root"
  [[ -x $AERO_SLURM_SBIN/slurmctld && -x $AERO_SLURM_SBIN/slurmd ]] ||
    aero_servers_skip "no slurmctld/slurmd (install slurmctld slurmd)"
  command -v sbatch >/dev/null || aero_servers_skip "no sbatch (install slurm-client)"
  aero_server_dir aero-slurm
  AERO_SLURM_DIR=$aero_server_dir
  export AERO_SLURM_DIR SLURM_CONF=$AERO_SLURM_DIR/slurm.conf
  aero_reap_note slurm "$SLURM_CONF"
  # The wait was 60 s, and timed out on a loaded two-core machine (a suite
  # beside) with nothing in the logs; bounded by the clock, not by rounds:
  # sinfo alone takes 9 s to give up on a controller that does not answer.
  local try port pid deadline state= how= limit=${AERO_SLURM_START_SECONDS:-180}
  for try in 1 2 3 4 5; do
    port=$((20000 + (RANDOM % 10000) * 4))
    # Each try is a cluster of its own (ClusterName=aeroPORT): slurmctld
    # refuses a state folder that a try before it named otherwise.
    rm -rf "$AERO_SLURM_DIR/state" "$AERO_SLURM_DIR/spool"
    mkdir -p "$AERO_SLURM_DIR/state" "$AERO_SLURM_DIR/spool"
    aero_slurm_conf "$port"
    : >"$AERO_SLURM_DIR/slurmctld.log"
    if [[ ${AERO_SLURM_ACCOUNTING:-} != 1 ]] || aero_slurm_start_dbd "$port"; then
      aero_slurm_daemon slurmctld "$AERO_SLURM_SBIN/slurmctld" -D -i -f "$SLURM_CONF"
      aero_slurm_daemon slurmd "$AERO_SLURM_SBIN/slurmd" -D -N localhost -f "$SLURM_CONF"
      deadline=$((SECONDS + limit))
      while ((SECONDS < deadline)); do
        state=$(sinfo -h -N -o '%T' 2>"$AERO_SLURM_DIR/sinfo.out" | head -1)
        [[ $state == idle ]] && return 0
        for pid in "${aero_slurm_pids[@]}"; do
          kill -0 "$pid" 2>/dev/null || break 2
        done
        sleep 0.1
      done
    fi
    aero_slurm_how
    how=$aero_slurm_how
    aero_slurm_kill
    # A port taken by another cluster: try others; anything else: give up.
    grep -qi 'address already in use' "$AERO_SLURM_DIR"/*.log "$AERO_SLURM_DIR"/*.out \
      "$AERO_SLURM_DIR"/db/*.err 2>/dev/null || break
  done
  # The daemons' logs, then what they wrote to stdout and stderr (an error
  # before their log is open goes there), and sinfo's last complaint.
  local d=$AERO_SLURM_DIR
  aero_servers_skip "Slurm did not start (node: ${state:-none}; ${how}waited up to $limit s): $(
    cd "$d" && tail -n 3 slurmctld.log slurmd.log slurmdbd.log db/mariadbd.err \
      slurmctld.out slurmd.out slurmdbd.out sinfo.out 2>/dev/null | grep -v '^$' | tr '\n' ' ')"
}

# aero_slurm_start_dbd PORT: starts MariaDB on PORT+3 (an empty data
# folder: slurmdbd creates its database and tables, slurmctld registers
# the cluster) and slurmdbd on PORT+2; waits until slurmdbd listens.
aero_slurm_start_dbd() {
  local d=$AERO_SLURM_DIR i
  [[ -x $AERO_SLURM_SBIN/slurmdbd && -x $AERO_SLURM_SBIN/mariadbd ]] ||
    aero_servers_skip "no slurmdbd/mariadbd (install slurmdbd mariadb-server)"
  rm -rf "$d/db" && mkdir -p "$d/db/data"
  # Small files, no syncs: the database lives as long as the test.
  (aero_fds_close && exec "$AERO_SLURM_SBIN/mariadbd" --no-defaults --user=root --datadir="$d/db/data" \
    --socket="$d/db/mariadbd.sock" --bind-address=127.0.0.1 --port=$(($1 + 3)) \
    --skip-grant-tables --skip-log-bin --pid-file="$d/db/mariadbd.pid" \
    --log-error="$d/db/mariadbd.err" --innodb-buffer-pool-size=32M \
    --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0 \
    --innodb-doublewrite=0 --skip-innodb-use-native-aio \
    --innodb-data-file-path=ibdata1:1M:autoextend \
    --innodb-temp-data-file-path=ibtmp1:1M:autoextend --innodb-lock-wait-timeout=900) >/dev/null 2>&1 &
  aero_slurm_pids+=($!)
  aero_slurm_names+=(mariadbd)
  for ((i = 0; i < 300; i++)); do
    [[ -S $d/db/mariadbd.sock ]] && break
    kill -0 "${aero_slurm_pids[-1]}" 2>/dev/null || return 1
    sleep 0.05
  done
  aero_slurm_daemon slurmdbd "$AERO_SLURM_SBIN/slurmdbd" -D
  # slurmctld gives up at once on a database it cannot reach.
  for ((i = 0; i < 600; i++)); do
    (: </dev/tcp/127.0.0.1/$(($1 + 2))) 2>/dev/null && return 0
    kill -0 "${aero_slurm_pids[-1]}" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# aero_slurm_wait_idle: waits (up to 60 s) until no job of the cluster is
# pending or running.
aero_slurm_idle() {
  [[ -z $(squeue -h -t PENDING,RUNNING,COMPLETING -o %i 2>/dev/null) ]]
}
aero_slurm_wait_idle() {
  wait_until 600 0.1 aero_slurm_idle
}

# aero_slurm_wait_running JOB_TYPE: waits (up to 60 s) until the team
# store (aero_psql) has one run of JOB_TYPE running: its job started; the
# moment to signal or cancel it. Fails (status 1) when it never had.
aero_slurm_one_running() {
  [[ $(aero_psql "SELECT count(*) FROM runs WHERE job_type = '$1' AND status = 'running'" 2>/dev/null) == 1 ]]
}
aero_slurm_wait_running() {
  wait_until 600 0.1 aero_slurm_one_running "$1"
}
