// retune_bench: Google Benchmark over the ops at the SmolLM2-135M shapes. Prints the sgemm
// peak (1024^3) first; every benchmark line repeats it beside its own GFLOP/s.
#include <fmt/format.h>

#include "bench_common.h"
#include "core/heap_reuse.h"
#include "core/threads.h"

int main(int argc, char** argv) {
  retune::keep_freed_memory_for_reuse();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const double sgemm = retune::bench::sgemm_peak_gflops();
  fmt::print("threads: {}, sgemm 1024^3: {:.1f} GFLOP/s\n", retune::num_threads(), sgemm);
  benchmark::AddCustomContext("blas", retune::blas_config());
  benchmark::AddCustomContext("sgemm_1024_gflops", fmt::format("{:.1f}", sgemm));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
