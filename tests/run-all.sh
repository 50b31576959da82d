#!/usr/bin/env bash
# Every test: installs what this Debian 12 machine lacks, builds everything
# with AddressSanitizer and UndefinedBehaviorSanitizer, and runs the unit,
# CLI and container tests (the container tests start dockerd themselves when
# none runs). Usage: tests/run-all.sh [ctest args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/cmake/install-deps.sh" test

build=${AERO_TEST_BUILD_DIR:-$root/build-test}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DAERO_SANITIZE=ON
cmake --build "$build" -j "$(nproc)"

# Leaks are errors; a forked action that _exit()s is not checked, by design.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j 2 "$@"
