#!/usr/bin/env bash
# Installs, with apt, whatever aeromancy needs that this Debian 12 machine
# lacks. Usage: cmake/install-deps.sh [build|test]
#   build (default): compiler, CMake, libffi, inih, SQLite, libcrypto,
#                    jansson, libpq and libcurl (the team store backend),
#                    libmicrohttpd and Chart.js (aeromancy ui)
#   test:            the above plus cmocka, Docker, debootstrap, make/ninja,
#                    hyperfine, PostgreSQL 15 and Node.js with npm (the team
#                    store tests start a PostgreSQL server and s3rver; the
#                    UI's tests drive chromium with puppeteer-core), curl,
#                    clang with libFuzzer (the fuzz targets), Slurm 22.05
#                    (slurmctld, slurmd, its clients: the Slurm executor's
#                    tests start a one-node cluster; slurmdbd with MariaDB
#                    for its accounting, sacct), eatmydata (bench_reuse
#                    fills its 100,000-action store without syncs), graphviz
#                    and jq (the CLI tests check DOT output and JSON)
set -euo pipefail
want=(build-essential cmake pkg-config git libffi-dev libinih-dev
      libsqlite3-dev libssl-dev sqlite3 libpq-dev libcurl4-openssl-dev
      libjansson-dev libmicrohttpd-dev libjs-chart.js)
if [[ ${1:-build} == test ]]; then
  want+=(libcmocka-dev docker.io debootstrap ninja-build make hyperfine
         binutils file python3 ca-certificates postgresql-15 nodejs
         clang libclang-rt-14-dev
         lintian dpkg-dev fakeroot man-db bash-completion chromium curl
         slurmctld slurmd slurm-client munge eatmydata
         slurmdbd mariadb-server
         linux-perf graphviz jq)
  # Debian's npm; a Node.js from elsewhere (e.g. NodeSource) brings its own
  # and conflicts with Debian's package.
  command -v npm >/dev/null || want+=(npm)
fi
# One dpkg-query for all of them: called twice by tests/run-all.sh (its
# own check, then the main job's), it costs a few milliseconds when all is
# installed. A package dpkg does not know is not printed.
declare -A installed=()
while read -r pkg status; do
  [[ $status == 'install ok installed' ]] && installed[$pkg]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${want[@]}" 2>/dev/null)
missing=()
for pkg in "${want[@]}"; do
  [[ -n ${installed[$pkg]:-} ]] || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0
sudo=()
((EUID == 0)) || sudo=(sudo)
echo "install-deps: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
