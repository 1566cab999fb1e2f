// Causal GQA attention forward + backward at the SmolLM2-135M shape: B=4, T=256, 9 query heads,
// 3 KV heads, head dim 64 (one layer).
#include <cmath>

#include "bench_common.h"
#include "ops/attention.h"

namespace retune::bench {
namespace {

// FLOPs of the two products q k^T and p v over the causal half of the scores, per direction:
// forward 2 products, backward 4 (dv, dp, dq, dk) plus the recomputed q k^T.
double attention_flops(const ModelShape& s, int products) {
  const double causal_pairs = s.seq * (s.seq + 1) / 2.0;
  return products * 2.0 * s.batch * s.heads * causal_pairs * s.head_dim;
}

struct AttentionTensors {
  const ModelShape& s;
  Tensor q = uniform_tensor({s.batch, s.seq, s.heads, s.head_dim}, 1);
  Tensor k = uniform_tensor({s.batch, s.seq, s.kv_heads, s.head_dim}, 2);
  Tensor v = uniform_tensor({s.batch, s.seq, s.kv_heads, s.head_dim}, 3);
  Tensor out = Tensor::empty(q.shape(), DType::f32);
  Tensor lse = Tensor::empty({s.batch, s.heads, s.seq}, DType::f32);
  Tensor dout = uniform_tensor(q.shape(), 4);
  ops::AttentionGrads grads{Tensor::empty(q.shape(), DType::f32),
                            Tensor::empty(k.shape(), DType::f32),
                            Tensor::empty(v.shape(), DType::f32)};
  float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
};

void BM_attention_forward(benchmark::State& state) {
  AttentionTensors t{kSmolLM2};
  for (auto _ : state) ops::attention_forward(t.q, t.k, t.v, Tensor(), t.scale, t.out, t.lse);
  set_flop_counters(state, attention_flops(kSmolLM2, 2));
}
BENCHMARK(BM_attention_forward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_attention_forward_backward(benchmark::State& state) {
  AttentionTensors t{kSmolLM2};
  for (auto _ : state) {
    ops::attention_forward(t.q, t.k, t.v, Tensor(), t.scale, t.out, t.lse);
    ops::attention_backward(t.dout, t.q, t.k, t.v, t.out, t.lse, Tensor(), t.scale, t.grads);
  }
  set_flop_counters(state, attention_flops(kSmolLM2, 2 + 5));
}
BENCHMARK(BM_attention_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace retune::bench
