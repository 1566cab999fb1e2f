#!/usr/bin/env bash
# Runs the op benchmarks (build/bench/retune_bench) and records them in bench/results/ as
# Google Benchmark JSON, with the machine's CPU model and the thread count in its context.
#   bench/run_ops_bench.sh [THREADS]   (default 2, the CI-class machine)
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
cmake --build build --target retune_bench >/dev/null
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
out="bench/results/ops-$(date -u +%Y-%m-%d)-${threads}t.json"
OMP_NUM_THREADS=$threads ./build/bench/retune_bench --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_min_time=0.5 \
  --benchmark_context=cpu_model="$cpu" --benchmark_context=threads="$threads" \
  --benchmark_out="$out" --benchmark_out_format=json
echo "recorded $out"
