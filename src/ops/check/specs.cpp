#include "ops/check/specs.h"

namespace retune::ops {

std::vector<OpSpec> all_op_specs() {
  std::vector<OpSpec> all;
  // One line per op, in the order selfcheck reports them.
  const std::vector<std::vector<OpSpec> (*)()> per_op = {
      matmul_specs,
      add_specs,
      rope_specs,
      attention_specs,
      embedding_specs,
      rmsnorm_specs,
      layernorm_specs,
      silu_specs,
      gelu_specs,
      swiglu_specs,
      softmax_specs,
      dropout_specs,
      cross_entropy_head_specs,
      kl_divergence_head_specs,
      adamw_specs,
      sgd_specs,
      clip_grad_norm_specs,
      anchor_penalty_specs,
      dora_specs,
      column_scale_specs,
      entries_specs,
  };
  for (auto specs : per_op) {
    for (OpSpec& spec : specs()) all.push_back(std::move(spec));
  }
  return all;
}

}  // namespace retune::ops
