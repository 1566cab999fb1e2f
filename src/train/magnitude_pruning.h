// One-shot global magnitude pruning, as essential sparsity prunes a pretrained model (METHODS.md
// D2, Chen et al. 2023, VITA-Group/essential_sparsity pruner.py): over the decoder layers' linear
// weights together (train/sparse_update.h's maskable weights; embeddings, head and norms are
// left whole), the fraction `sparsity` of entries with the smallest |w| is set to zero.
//
// The mask of the kept entries is LT-SFT's mask format (train/sparse_update.h: per weight the i64
// ascending flat indices of its kept entries), so that `retune train` with `sparse.mask` then
// fine-tunes with the mask fixed: the pruned entries stay zero.
#pragma once

#include <cstdint>

#include "io/safetensors_writer.h"

namespace retune::train {

struct PrunedWeights {
  NamedTensors weights;  // every weight, in order; the maskable ones pruned (f32, new storage)
  NamedTensors mask;     // the kept entries of each maskable weight that keeps any
  int64_t maskable = 0;  // entries of the maskable weights
  int64_t kept = 0;      // of them, kept: round((1 - sparsity) · maskable), at least 1
};

// Throws an Error unless 0 <= sparsity < 1 and the weights have a maskable one. Ties at the
// threshold are broken as top_k_mask breaks them (tensor order, then index).
PrunedWeights prune_by_magnitude(const NamedTensors& weights, double sparsity);

}  // namespace retune::train
