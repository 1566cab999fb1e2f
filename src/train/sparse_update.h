// Sparse fine-tuning (LT-SFT, METHODS.md A9: composable sparse fine-tuning, Ansell et al.):
// which weights may change, the mask of the K entries that do, and the update restricted to it.
//
// Maskable weights: the decoder layers' linear weights (attention and MLP projections); the
// embeddings, the output head and the norms stay frozen, as in LT-SFT's recipes.
//
// Mask (after the dense phase θ0 -> θ1): the K entries with the largest |θ1 - θ0| over all
// maskable weights together (one global threshold; ties at the threshold broken by tensor
// order, then index). Saved per weight as the i64 [k] ascending flat (row-major) indices of its
// entries that may change; weights with none are left out.
//
// Masked training (the sparse phase): each step's gradients are multiplied by μ before they are
// clipped (as LT-SFT's trainer does after every backward: the clipping norm is the mask's
// entries'), and after every optimizer step each masked weight is set back to
// θ0 + μ ⊙ (θ - θ0), so that only its K entries ever move — whatever the optimizer does with the
// others (AdamW's decoupled weight decay would move them otherwise).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "adapters/sparse_diff.h"
#include "core/tensor.h"
#include "io/safetensors_writer.h"
#include "model/trainable_weights.h"

namespace retune::train {

// Whether the weight `name` (a Hugging Face weight name) is maskable.
bool sparse_maskable(const std::string& name);

// The mask of the k entries where |tuned - base| is largest over the maskable weights of `base`
// (`tuned` must hold each of them, same shape). Throws when k exceeds the entries there are.
NamedTensors top_k_mask(const NamedTensors& base, const NamedTensors& tuned, int64_t k);

// Reads a mask file (top_k_mask's tensors, saved): weight name -> i64 indices.
std::map<std::string, Tensor> read_mask(const std::filesystem::path& file);

// Keeps trained weights on their masks. `weights` are the trained tensors (f32 views the
// optimizer updates) and their gradients, by name; every masked weight must be among them, its
// indices within it, and its current value is θ0. Trained weights the mask does not name are kept
// at θ0 whole (their μ is 0). The weights may be on a GPU: θ0 and the indices are kept beside
// them, and project() and mask_gradients() run there (ops/entries.h).
class MaskedUpdate {
 public:
  MaskedUpdate(const std::map<std::string, Tensor>& mask,
               const std::vector<model::TrainedWeight>& weights);
  // grad = μ ⊙ grad for every trained weight.
  void mask_gradients() const;
  // θ = θ0 + μ ⊙ (θ - θ0) for every masked weight.
  void project() const;
  // The entries that may change.
  int64_t entries() const { return entries_; }
  // θ - θ0 at them, per masked weight (adapters/sparse_diff.h).
  std::vector<adapters::SparseEntries> difference() const;

 private:
  struct Masked {
    std::string name;
    Tensor value;    // the trained tensor (a view)
    Tensor grad;     // its gradient
    Tensor start;    // θ0, f32, on the value's device
    Tensor indices;  // i64 [k]: the entries that may change, on the value's device
    Tensor kept;     // f32 [k]: project()'s scratch
  };
  std::vector<Masked> masked_;
  int64_t entries_ = 0;
};

}  // namespace retune::train
