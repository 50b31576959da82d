#!/usr/bin/env bash
# The main job: installs what this Debian 12 machine lacks, builds aerohost,
# the tracker-local store backend and the examples, then runs the aerodemo
# pipeline (ingest -> train -> evaluate) through aerohost in dev mode on the
# embedded default store (~/.local/share/aeromancy, or $AEROMANCY_STORE).
# Extra arguments go to the project: examples/run-demo.sh --learning-rate 0.05
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/cmake/install-deps.sh" build

build=${AERO_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DAERO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"

plugin=$(find "$build/examples/aerodemo" -name 'aerodemo.so' -print -quit)
exec "$build/host/aerohost" run "$plugin" --dev -- "$@"
