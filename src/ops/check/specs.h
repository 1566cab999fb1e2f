// The check specs of every op, one function per op (defined in <op>_specs.cpp beside this).
#pragma once

#include <vector>

#include "ops/check/op_spec.h"

namespace retune::ops {

// One declaration per op.
std::vector<OpSpec> matmul_specs();
std::vector<OpSpec> add_specs();
std::vector<OpSpec> rope_specs();
std::vector<OpSpec> attention_specs();
std::vector<OpSpec> embedding_specs();
std::vector<OpSpec> rmsnorm_specs();
std::vector<OpSpec> layernorm_specs();
std::vector<OpSpec> silu_specs();
std::vector<OpSpec> gelu_specs();
std::vector<OpSpec> swiglu_specs();
std::vector<OpSpec> softmax_specs();
std::vector<OpSpec> dropout_specs();
std::vector<OpSpec> cross_entropy_head_specs();
std::vector<OpSpec> kl_divergence_head_specs();
std::vector<OpSpec> adamw_specs();
std::vector<OpSpec> sgd_specs();
std::vector<OpSpec> clip_grad_norm_specs();
std::vector<OpSpec> anchor_penalty_specs();  // and add_squares
std::vector<OpSpec> dora_specs();
std::vector<OpSpec> column_scale_specs();  // scale_columns, add_column_products, scale_linear_output
std::vector<OpSpec> entries_specs();  // gather_entries and scatter_entries

// Every spec above, in op order.
std::vector<OpSpec> all_op_specs();

}  // namespace retune::ops
