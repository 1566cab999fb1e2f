#include "bench_common.h"

#include <chrono>
#include <vector>

#include "core/random_tensor.h"
#include "ops/matmul.h"

namespace retune::bench {

double sgemm_peak_gflops() {
  static const double peak = [] {
    constexpr int64_t n = 1024;
    const Tensor a = uniform_tensor({n, n}, 1), b = uniform_tensor({n, n}, 2);
    const Tensor c = Tensor::empty({n, n}, DType::f32);
    ops::matmul_forward(a, b, c);  // warm-up
    double best = 0;
    for (int repeat = 0; repeat < 5; ++repeat) {
      const auto start = std::chrono::steady_clock::now();
      ops::matmul_forward(a, b, c);
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
      best = std::max(best, 2.0 * n * n * n / elapsed.count() / 1e9);
    }
    return best;
  }();
  return peak;
}

void set_flop_counters(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP"] =
      benchmark::Counter(flops_per_iteration / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["sgemm_GFLOP_per_s"] = sgemm_peak_gflops();
}

}  // namespace retune::bench
