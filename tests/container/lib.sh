# Shared setup of the container tests (source it after nothing else):
#   . "$(dirname "$0")/lib.sh"
# On top of tests/lib.sh it gives a reachable Docker engine (Debian's
# docker.io installed when missing, dockerd started when none runs and then
# stopped at exit; a daemon that was already running is left alone), the
# local Debian 12 base image (cmake/make-base-image.sh) as
# AEROMANCY_BASE_IMAGE, and helpers for git projects.
#
# Without root and without a usable engine the tests skip with a message;
# in CI (CI=true) they fail instead: they must run there.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

export GIT_AUTHOR_NAME="aeromancy tests" GIT_AUTHOR_EMAIL="tests@aeromancy.invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_CONFIG_NOSYSTEM=1
export AEROMANCY_BASE_IMAGE=aeromancy-base:bookworm
# The env file and other temp files the runner makes land here, where the
# secrets test can search them.
export TMPDIR="$AERO_TMP/tmp"
mkdir -p "$TMPDIR"

aero_dockerd_pid=
container_cleanup() {
  if [[ -n $aero_dockerd_pid ]]; then
    kill "$aero_dockerd_pid" 2>/dev/null
    wait "$aero_dockerd_pid" 2>/dev/null
  fi
  aero_reap_done
  # Containers and build folders write as the caller; nothing needs root.
  rm -rf "$AERO_TMP"
}
trap container_cleanup EXIT

# skip_or_fail WHY: a skip locally, a failure in CI.
skip_or_fail() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL [$AERO_TEST_NAME] $1 (CI=true: container tests must run)" >&2
    exit 1
  fi
  echo "SKIP [$AERO_TEST_NAME] $1" >&2
  exit 0
}

engine_up() { docker version >/dev/null 2>&1; }

# container_setup: everything above; call once at the top of a test.
container_setup() {
  [[ -n ${AEROMANCY:-} && -x ${AEROMANCY:-} ]] ||
    skip_or_fail "AEROMANCY (the runner) is not set; run through ctest"
  # The containers of the test's projects (all under $AERO_TMP) die with
  # the test too, on whichever engine (tests/reaper.sh).
  aero_reap_start
  aero_reap_note docker "$(realpath "$AERO_TMP")"
  if ! engine_up; then
    ((EUID == 0)) || skip_or_fail "no reachable Docker engine, and starting one needs root"
    if ! command -v dockerd >/dev/null; then
      echo "# installing docker.io" >&2
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
          --no-install-recommends docker.io; } >"$AERO_TMP/apt.log" 2>&1 ||
        { cat "$AERO_TMP/apt.log" >&2; echo "FAIL cannot install docker.io" >&2; exit 1; }
    fi
    echo "# starting dockerd (stopped at exit)" >&2
    # Killed with the test too (tests/reaper.sh), without its descriptors.
    (aero_fds_close && exec dockerd) >"$AERO_TMP/dockerd.log" 2>&1 &
    aero_dockerd_pid=$!
    local i
    for ((i = 0; i < 120; i++)); do
      engine_up && break
      kill -0 "$aero_dockerd_pid" 2>/dev/null || break
      sleep 0.5
    done
    engine_up || { cat "$AERO_TMP/dockerd.log" >&2; echo "FAIL dockerd did not come up" >&2; exit 1; }
  fi
  if ! docker image inspect "$AEROMANCY_BASE_IMAGE" >/dev/null 2>&1; then
    ((EUID == 0)) || skip_or_fail "no $AEROMANCY_BASE_IMAGE image, and debootstrap needs root"
    if ! command -v debootstrap >/dev/null; then
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
          --no-install-recommends debootstrap; } >"$AERO_TMP/apt.log" 2>&1 ||
        { cat "$AERO_TMP/apt.log" >&2; echo "FAIL cannot install debootstrap" >&2; exit 1; }
    fi
    "$AERO_SOURCE_DIR/cmake/make-base-image.sh" "$AEROMANCY_BASE_IMAGE" >/dev/null ||
      { echo "FAIL cannot create the base image $AEROMANCY_BASE_IMAGE" >&2; exit 1; }
  fi
}

# install_runner: installs this build (cmake --install) into a private
# prefix and sets RUNNER to its aeromancy, so that the test runs the runner
# as users get it, with a fixed snapshot of the image's sources.
install_runner() {
  cmake --install "$AERO_BUILD_DIR" --prefix "$AERO_TMP/prefix" >"$AERO_TMP/install.log" 2>&1 ||
    { cat "$AERO_TMP/install.log" >&2; echo "FAIL cmake --install" >&2; exit 1; }
  RUNNER="$AERO_TMP/prefix/bin/aeromancy"
}

# new_project SRC DIR [BRANCH]: SRC copied into a fresh git repository DIR
# with one commit on main, then switched to BRANCH (default: experiment).
new_project() {
  local src=$1 dir=$2 branch=${3:-experiment}
  cp -r "$src" "$dir"
  rm -rf "$dir"/build "$dir"/build-*
  git -C "$dir" init -q -b main
  git -C "$dir" add -A
  git -C "$dir" commit -q -m "initial import"
  git -C "$dir" switch -q -c "$branch"
}

# commit_all DIR MESSAGE
commit_all() {
  git -C "$1" add -A && git -C "$1" commit -q -m "$2"
}

# now: a timestamp `docker events --since` takes, with sub-second precision.
now() { date +%s.%N; }

# containers_created_since T [DIR]: how many containers the runner created
# since T for the project in DIR (default $proj): they carry its
# org.aeromancy.project-dir label. Other users of the engine on this
# machine, other checkouts of the same project included, do not count.
containers_created_since() {
  local dir
  dir=$(realpath "${2:-$proj}")
  docker events --since "$1" --until "$(now)" --filter type=container \
    --filter event=create --filter "label=org.aeromancy.project-dir=$dir" \
    --format '{{.ID}}' | grep -c .
}

# images_tagged_since T: how many aeromancy-host images were tagged (built)
# since T.
images_tagged_since() {
  docker events --since "$1" --until "$(now)" --filter type=image \
    --filter event=tag --filter image=aeromancy-host --format '{{.ID}}' | grep -c .
}

# host_images: how many aeromancy-host images the engine holds.
host_images() {
  docker images -q aeromancy-host | sort -u | grep -c .
}

# image_tag_of TEXT: the aeromancy-host:<12 hex> tag the runner names in TEXT.
image_tag_of() {
  grep -o 'aeromancy-host:[0-9a-f]\{12\}' <<<"$1" | head -n 1
}

# built_plugin NAME: the plugin the runner built in the container, found in
# its build folder under the test's private HOME.
built_plugin() {
  find "$HOME/.cache/aeromancy/build" -path "*/plugin/$1.so" -type f | head -n 1
}

# spy_docker: a docker in front of the real one, in $AERO_TMP/bin (put it
# first in PATH for the commands to watch). Of each `docker run` it keeps
# the arguments, one a line, in $AERO_TMP/docker-argv (the last run's) and
# appended to $AERO_TMP/docker-runs (every run's, each ended by a line
# "--end--"), and a copy of the env file (the runner deletes the original)
# in $AERO_TMP/env-file.copy.
spy_docker() {
  mkdir -p "$AERO_TMP/bin"
  cat >"$AERO_TMP/bin/docker" <<WRAPPER
#!/usr/bin/env bash
if [[ \${1:-} == run ]]; then
  printf '%s\n' "\$@" >"$AERO_TMP/docker-argv"
  printf '%s\n' "\$@" --end-- >>"$AERO_TMP/docker-runs"
  prev=
  for a in "\$@"; do
    [[ \$prev == --env-file ]] && cp "\$a" "$AERO_TMP/env-file.copy"
    prev=\$a
  done
fi
exec $(command -v docker) "\$@"
WRAPPER
  chmod +x "$AERO_TMP/bin/docker"
}

# secret_of WHAT: a fresh credential value, "aero-WHAT-<24 hex>", that no
# file holds before the test.
secret_of() { echo "aero-$1-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"; }

# no_secrets WHAT TEXT: none of the values in the array `secrets` is in
# TEXT.
no_secrets() {
  local s
  for s in "${secrets[@]}"; do
    [[ $2 != *"$s"* ]] || fail "$1 holds the credential value ${s%%-*}-${s#*-}"
  done
}
