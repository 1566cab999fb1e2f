#!/usr/bin/env bash
# Runs the inference benchmark (retune_inference_bench) for an f32 and a bf16 model and records
# both runs in bench/results/inference-DATE-Nt.json as a JSON array of the program's JSON
# objects (each carries its machine context: CPU, threads, OpenBLAS build, load, sgemm GFLOP/s
# and read bandwidth). The readable lines go to stderr.
#   bench/run_inference_bench.sh [THREADS]   (default 2, the CI-class machine)
# BUILD_DIR (default build) names the CMake build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
build=${BUILD_DIR:-build}
cmake --build "$build" --target retune_inference_bench >/dev/null
out="bench/results/inference-$(date -u +%Y-%m-%d)-${threads}t.json"
runs=()
for dtype in f32 bf16; do
  # The JSON object is the last line; everything before it is for people.
  output=$(OMP_NUM_THREADS=$threads "./$build/bench/retune_inference_bench" \
    --threads "$threads" --dtype "$dtype")
  echo "$output" | sed '$d' >&2
  runs+=("$(echo "$output" | tail -n 1)")
done
printf '[\n%s,\n%s\n]\n' "${runs[0]}" "${runs[1]}" >"$out"
echo "recorded $out"
