#!/usr/bin/env bash
# Every test: installs what this Debian 12 machine lacks, compiles the tree
# optimised and runs the README's main job on it (Release, its warnings
# are errors too), builds everything
# with AddressSanitizer and UndefinedBehaviorSanitizer, and runs the unit,
# CLI and container tests (the container tests start dockerd themselves when
# none runs). Usage: tests/run-all.sh [ctest args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/cmake/install-deps.sh" test

# First the README's main job, examples/run-demo.sh, exactly (on a store
# of its own): the tree as the package, the images and the benchmarks
# build it, Release, warnings are errors, and the aerodemo pipeline run on
# it. Then the same tree's tests and fixtures, still Release. The
# optimiser warns where the Debug ASan build does not (-O3's
# -Wformat-truncation once failed only the .deb's build, late in the
# container tests); here such a warning fails the suite in a minute or
# two, before anything else runs. A tree of its own.
release=${AERO_RELEASE_BUILD_DIR:-$root/build-release}
demo_store=$(mktemp -d)
AERO_BUILD_DIR=$release AEROMANCY_STORE=$demo_store "$root/examples/run-demo.sh"
rm -rf "$demo_store"
cmake -S "$root" -B "$release" -DAERO_BUILD_TESTS=ON >/dev/null
cmake --build "$release" -j "$(nproc)"

build=${AERO_TEST_BUILD_DIR:-$root/build-test}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DAERO_SANITIZE=ON
cmake --build "$build" -j "$(nproc)"

# Leaks are errors; a forked action that _exit()s is not checked, by design.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j 2 "$@"
