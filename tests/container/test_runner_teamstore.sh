#!/usr/bin/env bash
# aeromancy go with a team store (tracker-postgres), against the real
# engine and a PostgreSQL and an s3rver this test starts: the store chosen
# on the command line, by the environment and by aeromancy.ini; the runs
# read back with aeromancy runs/show on the team store, image id and all;
# the container reaches the database through its unix socket folder
# (mounted) and s3rver on the loopback (the host's network); the blob cache
# is the mounted one; no local store is mounted or made. Credentials
# (AWS_SECRET_ACCESS_KEY, PGPASSWORD, a password in the URL) cross by name
# only: their values are in no docker argument, no env file, no --debug
# line, no record and no file.
. "$(dirname "$0")/lib.sh"
container_setup
install_runner

# PostgreSQL runs as the user aerotest, which cannot enter this test's
# private folder: the servers live in /tmp.
tmpdir=$TMPDIR
TMPDIR=/tmp
. "$AERO_SOURCE_DIR/tests/servers.sh"
trap 'aero_servers_stop; container_cleanup' EXIT
aero_pg_start
aero_s3_start
TMPDIR=$tmpdir

# s3rver checks the access key, not the secret (nor the signature); the
# database trusts the socket: any password is accepted, and none may leak.
AWS_SECRET_ACCESS_KEY=$(secret_of s3)
PGPASSWORD=$(secret_of pg)
url_password=$(secret_of url)
export AWS_SECRET_ACCESS_KEY PGPASSWORD
secrets=("$AWS_SECRET_ACCESS_KEY" "$PGPASSWORD" "$url_password")
url="postgresql://$AERO_PG_USER:$url_password@/$AERO_PG_DB?host=$AERO_PG_DIR"
blobs=s3://$AERO_S3_BUCKET/team
cache=$AERO_TMP/cache
unset AEROMANCY_STORE AEROMANCY_BACKEND AEROMANCY_BLOBS AEROMANCY_CACHE

# A docker in front of the real one keeps its arguments and env file.
spy_docker
PATH="$AERO_TMP/bin:$PATH"

proj="$AERO_TMP/aerodemo"
new_project "$AERO_SOURCE_DIR/examples/aerodemo" "$proj" exp/team
cd "$proj" || exit 1
commit=$(git rev-parse HEAD)

# team_read CMD...: an aeromancy read command on the team store.
team_read() {
  AEROMANCY_BACKEND=postgres AEROMANCY_STORE=$url AEROMANCY_BLOBS=$blobs \
    run "$RUNNER" "$@"
}


# check_production_runs N: the last N runs are aerodemo's, ok or reused,
# in production, made in the container of the current image at $commit.
check_production_runs() {
  local n=$1 image_id
  image_id=$(docker image inspect --format '{{.Id}}' "$(image_tag_of "$err")")
  [[ $image_id == sha256:* ]] || fail "no image id for the runner's tag: $err"
  local last="(select id from runs order by id desc limit $n)"
  assert_eq "$(aero_psql "select count(*) from runs where id in $last and mode = 'prod'
    and status in ('ok', 'reused')")" "$n" "production runs recorded"
  assert_eq "$(aero_psql "select string_agg(distinct image_id, ',') from runs where id in $last")" \
    "$image_id" "image id in the database"
  assert_eq "$(aero_psql "select string_agg(distinct git_commit, ',') from runs where id in $last")" \
    "$commit"
  # The plugin's path only exists in the container.
  assert_eq "$(aero_psql "select string_agg(distinct plugin_path, ',') from runs where id in $last")" \
    "/plugin/aerodemo.so"
  # Read back through the team store's query members.
  team_read runs --json
  assert_rc 0
  local id
  id=$(jq -r '.runs | map(select(.job_type == "train")) | .[0].id' <<<"$out")
  [[ $id =~ ^[0-9]+$ ]] || fail "aeromancy runs lists no train run: $out"
  team_read show "$id" --json
  assert_rc 0
  assert_eq "$(jq -r '.environment.image_id' <<<"$out")" "$image_id" "image id in aeromancy show"
  assert_eq "$(jq -r '.mode' <<<"$out")" "prod"
  no_secrets "aeromancy show --json" "$out"
  team_read show "$id"
  assert_rc 0
  assert_contains "$out" "$image_id"
}

# check_argv: the last docker run: no local store, the socket folder and
# the cache mounted, the host's network, the credentials by name only.
check_argv() {
  local argv env_file
  argv=$(cat "$AERO_TMP/docker-argv")
  env_file=$(cat "$AERO_TMP/env-file.copy")
  assert_not_contains "$argv" "target=/aeromancy/store"
  assert_contains "$argv" "type=bind,source=$AERO_PG_DIR,target=$AERO_PG_DIR"$'\n'
  assert_contains "$argv" "type=bind,source=$cache,target=/aeromancy/cache"$'\n'
  assert_contains "$argv" $'\n--network\nhost\n'
  no_secrets "the docker command line" "$argv"
  assert_eq "$(grep -cvE '^[A-Za-z_][A-Za-z0-9_]*$' <<<"$env_file")" 0 "env file lines that are not a bare NAME"
  local name
  for name in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_ENDPOINT_URL \
    PGPASSWORD AEROMANCY_STORE AEROMANCY_BLOBS AEROMANCY_BACKEND AEROMANCY_CACHE; do
    grep -qx "$name" <<<"$env_file" || fail "the env file does not name $name: $env_file"
  done
}

case_ "go --backend postgres --store URL: recorded on the team store, read back"
AEROMANCY_BLOBS=$blobs AEROMANCY_CACHE=$cache \
  run "$RUNNER" go --debug --backend postgres --store "$url" -- --epochs 3
assert_rc 0
no_secrets "the runner's --debug output" "$err"
assert_contains "$err" "the container uses the host's network: the object store on 127.0.0.1"
check_production_runs 3
check_argv
# The action's input was read through the mounted cache.
[[ -n $(ls -A "$cache/views" 2>/dev/null) ]] || fail "no view in the mounted cache $cache"
# No local store anywhere: not the default one, not a folder named by the URL.
[[ ! -e $HOME/.local/share/aeromancy ]] || fail "a local store was made"
assert_eq "$(find "$proj" "$AERO_TMP" -maxdepth 2 -name 'postgresql:*' | head -1)" "" "a folder named after the URL"
# Blobs are objects in the bucket, named by their SHA-256.
sha=$(aero_psql "select f.sha256 from version_files f join versions v on v.id = f.version_id
  join artifacts a on a.id = v.artifact_id where a.name = 'model' limit 1")
[[ -f $(AEROMANCY_BLOBS=$blobs aero_team_blob "$sha") ]] || fail "the model's blob is not in the bucket"

case_ "the team store from the environment"
AEROMANCY_BACKEND=postgres AEROMANCY_STORE=$url AEROMANCY_BLOBS=$blobs AEROMANCY_CACHE=$cache \
  run "$RUNNER" go --force -- --epochs 3
assert_rc 0
check_production_runs 3
check_argv

case_ "the team store from aeromancy.ini, the cache in its default place"
before=$(aero_psql "select count(*) from runs")
cat >>aeromancy.ini <<INI

[store]
backend = postgres
url = postgresql://$AERO_PG_USER@/$AERO_PG_DB?host=$AERO_PG_DIR
blobs = $blobs
INI
commit_all "$proj" "the team store"
commit=$(git rev-parse HEAD)
cache=$HOME/.cache/aeromancy
run "$RUNNER" go --force -- --epochs 4
assert_rc 0
assert_eq "$(aero_psql "select count(*) - $before from runs")" 3 "new runs"
check_production_runs 3
check_argv
[[ -n $(ls -A "$cache/views" 2>/dev/null) ]] || fail "no view in the default cache $cache"

case_ "credentials are in no record, no file and no engine state"
no_secrets "the database" "$(aero_pg_as "$AERO_PG_BIN/pg_dump" -h "$AERO_PG_DIR" -U "$AERO_PG_USER" "$AERO_PG_DB")"
for s in "${secrets[@]}"; do
  assert_eq "$(grep -rlF -- "$s" "$AERO_TMP" "$AERO_PG_DIR" "$AERO_S3_DIR" 2>/dev/null)" "" "files holding a credential"
done
assert_eq "$(find "$TMPDIR" -name 'aeromancy-env.*')" "" "env files left behind"

case_ "a socket folder that does not exist is refused before anything starts"
t0=$(now)
run "$RUNNER" go --backend postgres --store "postgresql://u:$url_password@/db?host=$AERO_TMP/no-such-socket"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "$AERO_TMP/no-such-socket"
no_secrets "the error" "$err"
assert_eq "$(containers_created_since "$t0")" 0 "containers created"

done_
