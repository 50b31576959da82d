#!/usr/bin/env bash
# Builds and runs the fuzz targets (tests/fuzz/fuzz_*.c).
#   tests/fuzz/run.sh build                 configure and build them with clang
#   tests/fuzz/run.sh TARGET [SECONDS]      run fuzz_TARGET on its seed corpus
#                                           for SECONDS (default 5)
# The build goes to $AERO_FUZZ_BUILD_DIR (default $AERO_BUILD_DIR/fuzz, or
# build/fuzz at the top). Without clang and libFuzzer it exits 77 (ctest:
# skipped), except under CI=true, where that is a failure. A crash leaves
# its input as crash-TARGET-* in the build folder and fails.
set -uo pipefail
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../.." && pwd)
out=${AERO_FUZZ_BUILD_DIR:-${AERO_BUILD_DIR:-$root/build}/fuzz}
what=${1:?usage: run.sh build | TARGET [SECONDS]}

missing() {
  if [[ ${CI:-} == true ]]; then
    echo "fuzz: $1 (CI=true: install clang and libclang-rt-14-dev)" >&2
    exit 1
  fi
  echo "fuzz: skipped: $1" >&2
  exit 77
}

if [[ $what == build ]]; then
  command -v clang >/dev/null || missing "clang is not installed"
  fuzzer=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)
  [[ -e $fuzzer ]] || missing "libFuzzer is not installed (libclang-rt-14-dev)"
  cmake -S "$src" -B "$out" -G Ninja -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=Debug >"$out.configure.log" 2>&1 ||
    { cat "$out.configure.log" >&2; exit 1; }
  cmake --build "$out" -j 2
  exit
fi

seconds=${2:-5}
bin=$out/fuzz_$what
if [[ ! -x $bin ]]; then
  command -v clang >/dev/null || missing "clang is not installed"
  echo "fuzz: $bin is not built (run.sh build)" >&2
  exit 1
fi
seeds=$src/corpus/$what
[[ -d $seeds ]] || { echo "fuzz: no seed corpus $seeds" >&2; exit 1; }
# New inputs go to a scratch folder: the committed corpus is only read.
work=$(mktemp -d "${TMPDIR:-/tmp}/aero-fuzz-$what.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# libFuzzer's own failure code is 77, which ctest reads as "skipped".
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -max_len=4096 -print_final_stats=1 -artifact_prefix="$out/crash-$what-" \
  "$work" "$seeds"
