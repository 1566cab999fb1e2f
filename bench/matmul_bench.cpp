// Matrix products at the linear layers of the SmolLM2-135M shape (B*T = 1024 rows), forward and
// backward, next to a square 1024^3 sgemm.
#include "bench_common.h"
#include "ops/matmul.h"

namespace retune::bench {
namespace {

void BM_sgemm_1024(benchmark::State& state) {
  constexpr int64_t n = 1024;
  const Tensor a = uniform_tensor({n, n}, 1), b = uniform_tensor({n, n}, 2),
               c = Tensor::empty({n, n}, DType::f32);
  for (auto _ : state) ops::matmul_forward(a, b, c);
  set_flop_counters(state, 2.0 * n * n * n);
}
BENCHMARK(BM_sgemm_1024)->Unit(benchmark::kMillisecond)->UseRealTime();

// A linear layer y = x W^T with x [B*T, in], W [out, in]; arg 2 picks forward, backward of the
// input only (a frozen weight, as in LoRA), or backward of input and weight (full fine-tuning).
void BM_linear(benchmark::State& state) {
  const int64_t rows = kSmolLM2.tokens(), in = state.range(0), out = state.range(1);
  const int64_t mode = state.range(2);
  const Tensor x = uniform_tensor({rows, in}, 1), w = uniform_tensor({out, in}, 2, -0.05, 0.05);
  const Tensor y = Tensor::empty({rows, out}, DType::f32);
  const Tensor dy = uniform_tensor({rows, out}, 3), dx = Tensor::empty({rows, in}, DType::f32);
  const Tensor dw = Tensor::zeros({out, in}, DType::f32);
  for (auto _ : state) {
    if (mode == 0) {
      ops::matmul_forward(x, w, y, {.trans_b = true});
    } else {
      ops::matmul_backward(dy, x, w, {dx, mode == 2 ? dw : Tensor(), false, true}, false, true);
    }
  }
  set_flop_counters(state, (mode == 2 ? 4.0 : 2.0) * rows * in * out);
  state.SetLabel(mode == 0 ? "forward" : mode == 1 ? "backward dx" : "backward dx+dW");
}
BENCHMARK(BM_linear)
    ->ArgNames({"in", "out", "mode"})
    ->ArgsProduct({{576}, {576, 192, 1536}, {0, 1, 2}})
    ->Args({1536, 576, 0})
    ->Args({1536, 576, 1})
    ->Args({1536, 576, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace retune::bench
