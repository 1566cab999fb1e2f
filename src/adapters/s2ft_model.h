// S2ftModel: S2FT on a Llama-family model (METHODS.md A8). Attaching it
//   1. selects units (adapters/s2ft_selection.h) and co-permutes each layer's weights by π, at
//      KV-group granularity: q_proj rows (Hq / Hkv * D per group) and k_proj, v_proj rows (D per
//      group), with their biases, and o_proj input columns (Hq / Hkv * D per group); up_proj and
//      gate_proj rows and down_proj input columns per FFN channel. Attention and the SwiGLU are
//      invariant to this, so the model computes the same function (each permuted weight becomes
//      an owned f32 copy in the model, model::set_weight);
//   2. attaches zero S2ftBlocks (adapters/s2ft_block.h) to the now contiguous selected slices:
//      o_proj columns [o_begin, o_end) groups, down_proj columns [d_begin, d_end) channels, and
//      v_proj rows [0, v_groups) groups, up_proj rows [0, u_channels) channels where chosen.
// Training changes the blocks only. fuse() adds them into the weights in place, detaches them
// and undoes π, so the model is the base plus a change on the selected columns and rows, in the
// base's own layout (an exported model loads wherever the base does).
//
// The model must outlive the S2ftModel and keep it attached while its blocks train.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapters/adapter_parameter.h"
#include "adapters/s2ft_block.h"
#include "adapters/s2ft_selection.h"
#include "adapters/sparse_diff.h"
#include "model/causal_lm.h"

namespace retune::adapters {

struct S2ftModule {
  std::string name;  // "model.layers.0.self_attn.o_proj"
  // The block's columns (columns) or rows (rows) as indices of the base's (unpermuted) weight,
  // in the block's order.
  std::vector<int64_t> base_indices;
  Shape weight_shape;  // W's [O, I]
  std::shared_ptr<S2ftBlock> block;
};

class S2ftModel {
 public:
  // Selects, permutes and attaches. Throws retune::Error for bad options, a model that is not
  // of the Llama family (GPT-2) or whose heads do not divide into KV groups, or a selection
  // with nothing to train.
  static S2ftModel attach(model::CausalLm& model, const S2ftOptions& options);

  // The blocks' parameters, named "<module>.s2ft.weight".
  std::vector<AdapterParameter> parameters() const;
  const std::vector<S2ftModule>& modules() const { return modules_; }
  const std::vector<S2ftLayer>& selection() const { return selection_; }
  // "o_proj: 2 of 4 head groups, v_proj: 0, down_proj: 64 of 256 FFN channels, up_proj: 0".
  std::string describe() const;

  // Moves the blocks and their gradients to `device` (where the model's weights are: the blocks
  // run inside its linears).
  void move_to(Device device);

  // On the CPU: adds the blocks into the model's weights, detaches them and undoes the
  // permutation. Call it once; the S2ftModel is spent afterwards.
  void fuse(model::CausalLm& model);

  // On the CPU: the blocks as a sparse difference against the base (adapters/sparse_diff.h):
  // each block's entries at their base positions, ascending.
  std::vector<SparseEntries> difference() const;

 private:
  std::vector<S2ftLayer> selection_;
  std::vector<S2ftModule> modules_;
};

// Applies π (inverse = false) or π⁻¹ to the model's weights per layer, as attach() does; layers
// whose orders are the identity are left as they are.
void permute_s2ft(model::CausalLm& model, const std::vector<S2ftLayer>& selection, bool inverse);

}  // namespace retune::adapters
