// Shared pieces of the op benchmarks: the SmolLM2-135M shapes of shared/BENCHMARKS.md, random
// tensors, and the GFLOP/s counters reported next to the sgemm peak measured in the same run.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

#include "core/random_tensor.h"
#include "core/tensor.h"

namespace retune::bench {

// SmolLM2-135M: Llama, hidden 576, 9 query heads / 3 KV heads of 64, MLP 1536, vocab 49152.
struct ModelShape {
  int64_t batch = 4;
  int64_t seq = 256;
  int64_t hidden = 576;
  int64_t heads = 9;
  int64_t kv_heads = 3;
  int64_t head_dim = 64;
  int64_t mlp = 1536;
  int64_t vocab = 49152;
  int64_t tokens() const { return batch * seq; }
};
inline constexpr ModelShape kSmolLM2;

// The GFLOP/s of a 1024x1024x1024 sgemm, measured once (first call) in this process.
double sgemm_peak_gflops();

// Sets the counters GFLOP (flops per iteration, shown as a rate: GFLOP/s) and
// sgemm_GFLOP_per_s (the peak above), so every line shows what it achieved beside what the
// machine's sgemm does.
void set_flop_counters(benchmark::State& state, double flops_per_iteration);

}  // namespace retune::bench
