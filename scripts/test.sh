#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite.
#   scripts/test.sh             the release build, in build/
#   scripts/test.sh --sanitize  AddressSanitizer + UndefinedBehaviorSanitizer (Clang), in
#                               build-sanitize/, with the fuzz targets (tests/fuzz), which ctest
#                               runs for a minute each
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "$@"

build_dir=build
flags=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-sanitize
  # The CUDA sources are compiled by the release build; the sanitizers cannot see into them.
  # Clang: libFuzzer's coverage instrumentation is Clang's.
  export CC=clang CXX=clang++
  flags=(-DCMAKE_BUILD_TYPE=Debug -DRETUNE_SANITIZE=ON -DRETUNE_FUZZ=ON -DRETUNE_BUILD_BENCH=OFF
    -DRETUNE_CUDA=OFF)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
# ctest runs two tests at once: OpenMP threads that spin while they wait would starve the other
# test's threads on a machine with as many cores as ctest jobs (a 1 s test took 400 s).
export OMP_WAIT_POLICY=PASSIVE
cmake -S . -B "$build_dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$build_dir"
ctest --test-dir "$build_dir" --output-on-failure -j2
