// LoRA's side of a linear layer at the SmolLM2-135M shape (B*T = 1024 rows, r = 16): the adapter
// alone, z += s (x A^T) B^T forward and its backward (dA, dB, dx), for each of the layer's
// linear shapes. Its FLOPs are small; what it costs is the time next to the base product's.
#include "adapters/lora_linear.h"
#include "bench_common.h"

namespace retune::bench {
namespace {

void BM_lora_linear(benchmark::State& state) {
  const int64_t rows = kSmolLM2.tokens(), in = state.range(0), out = state.range(1);
  const bool backward = state.range(2) != 0;
  constexpr int64_t r = 16;
  adapters::LoraLinear lora(uniform_tensor({out, in}, 2, -0.05, 0.05),
                            {.r = r, .alpha = 32, .init = adapters::LoraInit::gaussian});
  const Tensor x = uniform_tensor({rows, in}, 1), z = uniform_tensor({rows, out}, 3);
  const Tensor dz = uniform_tensor({rows, out}, 4), dx = uniform_tensor({rows, in}, 5);
  for (auto _ : state) {
    lora.forward(x, z);
    if (backward) lora.backward(x, dz, dx, false);
  }
  // Forward: x A^T and (xA) B^T; backward: dB, d(xA), dA and dx.
  set_flop_counters(state, (backward ? 6.0 : 2.0) * rows * r * (in + out));
  state.SetLabel(backward ? "forward + backward" : "forward");
}
BENCHMARK(BM_lora_linear)
    ->ArgNames({"in", "out", "backward"})
    ->ArgsProduct({{576}, {576, 192, 1536}, {0, 1}})
    ->Args({1536, 576, 0})
    ->Args({1536, 576, 1})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace retune::bench
