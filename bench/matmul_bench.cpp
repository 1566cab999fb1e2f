// Matrix products at the linear layers of the SmolLM2-135M shape (B*T = 1024 rows), forward and
// backward, next to a square 1024^3 sgemm; and the same layers with an f32 or a bf16 weight (as
// read from the model file) for one decode row or 1024 rows.
#include <string>
#include <vector>

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

// A linear layer y = x W^T with W [out, in] in f32 (arg bf16 = 0) or bf16 (1), x [rows, in]; arg
// mode picks forward (0) or backward of the input only (1, the frozen weight of LoRA). Each
// iteration takes the next of enough copies of W to fill 128 MiB in f32 (64 MiB in bf16, twice
// the 32 MiB L3), so that W comes from memory as in a decode step, where a model's weights are
// read once per token. Besides GFLOP/s, weight_bytes/s is the rate W is read at: what bounds a
// single row.
void BM_linear_weight_dtype(benchmark::State& state) {
  const int64_t rows = state.range(0), in = state.range(1), out = state.range(2);
  const DType dtype = state.range(3) ? DType::bf16 : DType::f32;
  const bool backward = state.range(4) != 0;
  const Tensor x = uniform_tensor({rows, in}, 1);
  std::vector<Tensor> weights;
  for (int64_t bytes = 0; bytes < (int64_t{128} << 20); bytes += 4 * in * out) {
    weights.push_back(uniform_tensor({out, in}, weights.size() + 2, -0.05, 0.05).to(dtype));
  }
  const Tensor y = Tensor::empty({rows, out}, DType::f32);
  const Tensor dy = uniform_tensor({rows, out}, 1), dx = Tensor::empty({rows, in}, DType::f32);
  size_t next = 0;
  for (auto _ : state) {
    const Tensor& w = weights[next++ % weights.size()];
    if (backward) {
      ops::matmul_backward(dy, x, w, {.da = dx}, false, true);
    } else {
      ops::matmul_forward(x, w, y, {.trans_b = true});
    }
  }
  set_flop_counters(state, 2.0 * rows * in * out);
  state.counters["weight_bytes"] =
      benchmark::Counter(static_cast<double>(in * out * dtype_size(dtype)),
                         benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(dtype_name(dtype)) + (backward ? " backward dx" : " forward"));
}
BENCHMARK(BM_linear_weight_dtype)
    ->ArgNames({"rows", "in", "out", "bf16", "mode"})
    ->ArgsProduct({{1, 1024}, {576}, {576, 192, 1536}, {0, 1}, {0, 1}})
    ->ArgsProduct({{1, 1024}, {1536}, {576}, {0, 1}, {0, 1}})
    ->ArgsProduct({{1}, {576}, {49152}, {0, 1}, {0}})  // the tied head of a decode step
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace retune::bench
