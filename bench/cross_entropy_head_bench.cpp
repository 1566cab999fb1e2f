// The fused output head + cross-entropy at the SmolLM2-135M shape: N = B*T = 1024 rows,
// C = 576, V = 49152, the [N, V] logits never all in memory. Arg: 0 forward, then backward
// (two passes over the logits); 1 the one-pass forward_backward; each with the head frozen
// (dx only, as in LoRA) or trained (dx and dW).
#include "bench_common.h"
#include "core/rng.h"
#include "ops/cross_entropy_head.h"

namespace retune::bench {
namespace {

void BM_cross_entropy_head(benchmark::State& state) {
  const bool one_pass = state.range(0) == 1;
  const bool train_head = state.range(1) == 1;
  const int64_t N = kSmolLM2.tokens(), C = kSmolLM2.hidden, V = kSmolLM2.vocab;
  const Tensor x = uniform_tensor({N, C}, 1), w = uniform_tensor({V, C}, 2, -0.05, 0.05);
  std::vector<int32_t> label_values(static_cast<size_t>(N));
  Rng rng(3);
  for (int32_t& label : label_values) label = static_cast<int32_t>(rng.integer(0, V - 1));
  const Tensor labels = Tensor::from_vector<int32_t>({N}, DType::i32, label_values);
  const Tensor loss = Tensor::empty({1}, DType::f32), lse = Tensor::empty({N}, DType::f32);
  const Tensor dloss = Tensor::empty({1}, DType::f32);
  dloss.fill(1.0);
  const Tensor dx = Tensor::empty({N, C}, DType::f32);
  const Tensor dw = train_head ? Tensor::zeros({V, C}, DType::f32) : Tensor();
  for (auto _ : state) {
    if (one_pass) {
      ops::cross_entropy_head_forward_backward(x, w, labels, loss, lse, dx, dw);
    } else {
      ops::cross_entropy_head_forward(x, w, labels, loss, lse);
      ops::cross_entropy_head_backward(dloss, x, w, labels, lse, dx, dw);
    }
  }
  // Useful products: logits, dx, and dW when the head trains (recomputation not counted).
  const double product = 2.0 * N * C * V;
  set_flop_counters(state, product * (train_head ? 3 : 2));
  state.SetLabel(std::string(one_pass ? "one pass" : "forward+backward") +
                 (train_head ? ", dx+dW" : ", dx"));
}
BENCHMARK(BM_cross_entropy_head)
    ->ArgNames({"one_pass", "train_head"})
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace retune::bench
