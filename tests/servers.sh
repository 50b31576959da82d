# Real servers for the team store tests, started by the tests themselves:
# PostgreSQL 15 (Debian's postgresql-15) and s3rver (npm). Source it after
# tests/lib.sh:
#   . "$(dirname "$0")/../servers.sh"
#   aero_pg_start    # sets AERO_PG_URL, AERO_PG_DIR; stops at exit
#   aero_s3_start    # sets AERO_S3_URL, AERO_S3_BUCKET, AWS_*; stops at exit
# Under CI=true a server that cannot start fails the test; elsewhere the
# caller may skip (aero_servers_skip prints why and exits 0).
#
# PostgreSQL refuses to run as root: as root the cluster belongs to the
# system user `aerotest` (created once); otherwise to the current user. It
# listens on a unix socket in its own temporary folder only, never on TCP.
# s3rver is installed with npm once into $AERO_BUILD_DIR/tools/s3rver (or
# $AERO_S3RVER_DIR) and listens on 127.0.0.1 on a port the kernel picks.

[[ -z ${AERO_SERVERS_LOADED:-} ]] || return 0
AERO_SERVERS_LOADED=1
AERO_PG_BIN=${AERO_PG_BIN:-/usr/lib/postgresql/15/bin}
AERO_PG_DB=aero
AERO_S3RVER_VERSION=3.7.1
aero_server_pids=()
aero_server_dirs=()

# Stops what this file started; chained into lib.sh's EXIT trap.
aero_servers_stop() {
  local pid
  if [[ -n ${AERO_PG_DIR:-} && -f $AERO_PG_DIR/data/postmaster.pid ]]; then
    aero_pg_ctl stop -m immediate -w >/dev/null 2>&1
  fi
  for pid in "${aero_server_pids[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  for dir in "${aero_server_dirs[@]}"; do rm -rf "$dir"; done
  rm -rf "$AERO_TMP"
  aero_reap_done
}
trap aero_servers_stop EXIT

# aero_server_dir PREFIX: a new temporary folder for a server, removed at
# exit (by the watchdog too: tests/reaper.sh). Sets aero_server_dir.
aero_server_dir() {
  aero_reap_start
  aero_server_dir=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  aero_server_dirs+=("$aero_server_dir")
  aero_reap_note dirs "$aero_server_dir"
}

# aero_servers_skip WHY: skips the test where allowed (never under CI).
aero_servers_skip() {
  if [[ ${CI:-} == true ]]; then
    fail "cannot start the test servers under CI: $1"
    done_
    exit 1
  fi
  echo "$AERO_TEST_NAME: skipped: $1"
  exit 0
}

# The user the cluster runs as, and how to run a command as that user.
aero_pg_as() {
  if ((EUID == 0)); then
    (cd / && runuser -u aerotest -- "$@")
  else
    "$@"
  fi
}

aero_pg_ctl() {
  aero_pg_as "$AERO_PG_BIN/pg_ctl" -D "$AERO_PG_DIR/data" "$@"
}

# aero_pg_start: initdb in a new temporary folder, start, create database
# "aero". Sets AERO_PG_URL (a libpq URI with the socket folder as host).
aero_pg_start() {
  [[ -x $AERO_PG_BIN/initdb ]] ||
    aero_servers_skip "no $AERO_PG_BIN/initdb (install postgresql-15)"
  if ((EUID == 0)) && ! id aerotest >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin aerotest \
      2>/dev/null || id aerotest >/dev/null 2>&1 ||
      aero_servers_skip "cannot create the system user aerotest"
  fi
  aero_server_dir aero-pg
  AERO_PG_DIR=$aero_server_dir
  ((EUID == 0)) && chown aerotest "$AERO_PG_DIR"
  local user
  user=$( ((EUID == 0)) && echo aerotest || id -un)
  aero_pg_as "$AERO_PG_BIN/initdb" -D "$AERO_PG_DIR/data" -A trust \
    -U "$user" --no-sync -E UTF8 --locale=C >"$AERO_PG_DIR/initdb.log" 2>&1 ||
    aero_servers_skip "initdb failed: $(tail -1 "$AERO_PG_DIR/initdb.log")"
  aero_reap_note pg "$AERO_PG_DIR/data"
  (aero_fds_close && aero_pg_ctl start -w -t 60 -l "$AERO_PG_DIR/server.log" \
    -o "-c listen_addresses='' -c unix_socket_directories='$AERO_PG_DIR' \
      -c fsync=off -c max_connections=200") >/dev/null ||
    aero_servers_skip "PostgreSQL did not start: $(tail -3 "$AERO_PG_DIR/server.log")"
  aero_pg_as "$AERO_PG_BIN/createdb" -h "$AERO_PG_DIR" -U "$user" "$AERO_PG_DB" ||
    aero_servers_skip "createdb failed"
  AERO_PG_USER=$user
  AERO_PG_URL="postgresql://$user@/$AERO_PG_DB?host=$AERO_PG_DIR"
  export AERO_PG_URL AERO_PG_DIR AERO_PG_USER
}

# aero_psql SQL: runs SQL on the test database, unaligned, no headers.
aero_psql() {
  "$AERO_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$AERO_PG_DIR" \
    -U "$AERO_PG_USER" -d "$AERO_PG_DB" -c "$1"
}

# aero_pg_cpu: the CPU seconds (user + system) the server has used so far:
# the postmaster's, its live children's (each client's backend among
# them) and its ended children's (cutime and cstime, counted when the
# postmaster reaps them). What a query costs is spent there, not in the
# client that sent it.
aero_pg_cpu() {
  local pm child stats=()
  pm=$(head -1 "$AERO_PG_DIR/data/postmaster.pid")
  stats=("/proc/$pm/stat")
  for child in $(pgrep -P "$pm"); do stats+=("/proc/$child/stat"); done
  # Fields after "pid (comm) ": utime, stime, cutime, cstime are 12-15.
  cat "${stats[@]}" 2>/dev/null |
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^[0-9]+ \([^)]*\) /, ""); t += $12 + $13 }
      NR == 1 { t += $14 + $15 } END { printf "%.2f\n", t / hz }'
}

# aero_pg_restart: a fast restart (connections are cut).
aero_pg_restart() {
  (aero_fds_close && aero_pg_ctl restart -m fast -w -t 60 -l "$AERO_PG_DIR/server.log" \
    -o "-c listen_addresses='' -c unix_socket_directories='$AERO_PG_DIR' \
      -c fsync=off -c max_connections=200") >/dev/null
}

# The s3rver executable, installed with npm on first use.
aero_s3rver_bin() {
  local dir=${AERO_S3RVER_DIR:-${AERO_BUILD_DIR:-$AERO_TMP}/tools/s3rver}
  local bin=$dir/node_modules/.bin/s3rver
  if [[ ! -x $bin ]]; then
    command -v npm >/dev/null || { echo "npm not found (install nodejs npm)"; return 1; }
    mkdir -p "$dir"
    # One install at a time when several tests start at once.
    (
      flock 9
      [[ -x $bin ]] || npm install --prefix "$dir" --no-audit --no-fund \
        --loglevel=error "s3rver@$AERO_S3RVER_VERSION" >"$dir/npm.log" 2>&1
    ) 9>"$dir/.lock" || { echo "npm install s3rver failed: $(tail -2 "$dir/npm.log")"; return 1; }
  fi
  echo "$bin"
}

# aero_s3_start [BUCKET]: starts s3rver on a free loopback port with
# BUCKET (default "aero"). Sets AERO_S3_URL, AERO_S3_DIR, AERO_S3_PID and
# the AWS_* variables s3rver's default credentials need.
aero_s3_start() {
  local bin
  bin=$(aero_s3rver_bin) || aero_servers_skip "$bin"
  AERO_S3_BUCKET=${1:-aero}
  aero_server_dir aero-s3
  AERO_S3_DIR=$aero_server_dir
  aero_s3_launch "$bin" 0
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
  export AWS_REGION=us-east-1 AWS_ENDPOINT_URL=$AERO_S3_URL
  export AERO_S3_BUCKET AERO_S3_DIR
}

# aero_s3_launch BIN PORT: starts s3rver on PORT (0: any) over AERO_S3_DIR.
aero_s3_launch() {
  mkdir -p "$AERO_S3_DIR/data"
  # s3rver makes a listing's continuation token with DES, which Node's
  # OpenSSL 3 keeps in its legacy provider: without it any listing of more
  # than one page fails (HTTP 500).
  (
    aero_fds_close
    NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--openssl-legacy-provider" \
      exec "$1" -d "$AERO_S3_DIR/data" -a 127.0.0.1 -p "$2" \
      --configure-bucket "$AERO_S3_BUCKET"
  ) >"$AERO_S3_DIR/log" 2>&1 &
  AERO_S3_PID=$!
  aero_server_pids+=("$AERO_S3_PID")
  local i port=
  for ((i = 0; i < 300; i++)); do
    port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$AERO_S3_DIR/log" |
      head -1 | cut -d: -f2)
    [[ -n $port ]] && break
    kill -0 "$AERO_S3_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $port ]] || aero_servers_skip "s3rver did not start: $(tail -3 "$AERO_S3_DIR/log")"
  AERO_S3_PORT=$port
  AERO_S3_URL=http://127.0.0.1:$port
  export AERO_S3_URL AERO_S3_PORT AERO_S3_PID
}

# aero_s3_kill: kill -9 of s3rver (a server that goes away).
aero_s3_kill() {
  kill -9 "$AERO_S3_PID" 2>/dev/null
  wait "$AERO_S3_PID" 2>/dev/null
}

# aero_s3_restart: starts s3rver again on the same port and data.
aero_s3_restart() {
  local bin
  bin=$(aero_s3rver_bin) || return 1
  aero_s3_launch "$bin" "$AERO_S3_PORT"
}

# aero_team_start: both servers, and the environment that points aerohost
# at them: AEROMANCY_BACKEND=postgres, AEROMANCY_STORE (the database),
# AEROMANCY_BLOBS (the bucket, prefix "team"), AEROMANCY_CACHE.
aero_team_start() {
  aero_pg_start
  aero_s3_start
  export AEROMANCY_BACKEND=postgres AEROMANCY_STORE=$AERO_PG_URL
  export AEROMANCY_BLOBS=s3://$AERO_S3_BUCKET/team
  export AEROMANCY_CACHE=$AERO_TMP/cache
}

# aero_s3_objects: the keys in the bucket (s3rver keeps one file per
# object under its data folder).
aero_s3_objects() {
  (cd "$AERO_S3_DIR/data/$AERO_S3_BUCKET" 2>/dev/null &&
    find . -name '*._S3rver_object' | sed 's|^\./||; s|\._S3rver_object$||' | sort)
}

# aero_team_new_store NAME: a fresh, empty team store: database NAME,
# bucket prefix NAME. Sets AERO_PG_DB, AEROMANCY_STORE, AEROMANCY_BLOBS.
aero_team_new_store() {
  aero_pg_as "$AERO_PG_BIN/createdb" -h "$AERO_PG_DIR" -U "$AERO_PG_USER" "$1" ||
    fail "createdb $1 failed"
  AERO_PG_DB=$1
  AERO_PG_URL="postgresql://$AERO_PG_USER@/$1?host=$AERO_PG_DIR"
  export AERO_PG_DB AERO_PG_URL AEROMANCY_STORE=$AERO_PG_URL
  export AEROMANCY_BLOBS=s3://$AERO_S3_BUCKET/$1
}

# aero_team_blob SHA: the file s3rver keeps the content of blob SHA in.
aero_team_blob() {
  local prefix=${AEROMANCY_BLOBS#s3://"$AERO_S3_BUCKET"/}
  echo "$AERO_S3_DIR/data/$AERO_S3_BUCKET/$prefix/blobs/${1:0:2}/${1:2}._S3rver_object"
}
