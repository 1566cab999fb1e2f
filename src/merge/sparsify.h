// Sparsifying a task vector δ (one tensor, f32, flat) as mergekit's sparsify.py does, in place.
//
//   magnitude           keep the k = max(1, int(density * n)) entries of largest |δ| (TIES)
//   magnitude_outliers  drop the int(gamma * n) largest |δ|, keep the next int(density * n)
//                       below them, drop the rest (Model Breadcrumbs)
//   random              keep each entry with probability density (DARE)
//   della_magprune      keep each entry with probability density - ε + 2ε·r, r its magnitude
//                       rank in its row scaled to [0, 1] (DELLA's MAGPRUNE)
//
// Rescaling of what is kept: l1 multiplies the kept entries so the L1 norm is what it was
// before (mergekit's rescale); inverse divides each kept entry by its keep probability (the
// DARE and DELLA papers); none leaves them. Random masks are a pure function of (seed, entry).
#pragma once

#include <cstdint>
#include <span>

#include "merge/merge_method.h"

namespace retune::merge {

enum class Rescale { none, l1, inverse };

struct SparsifyOptions {
  Sparsification method = Sparsification::none;
  double density = 1;
  double gamma = 0;    // magnitude_outliers
  double epsilon = 0;  // della_magprune
  Rescale rescale = Rescale::none;
  uint64_t seed = 0;    // random, della_magprune
  int64_t columns = 0;  // della_magprune: row length (rows are consecutive)
  // magnitude with a threshold found over the whole model (trim_scope: model): keep |δ| >= it.
  bool use_threshold = false;
  float threshold = 0;
};

// δ in place. density >= 1 leaves δ as it is (as mergekit does).
void sparsify(std::span<float> delta, const SparsifyOptions& options);

// The number of entries of |δ| to keep (magnitude): max(1, int(density * n)).
int64_t magnitude_keep_count(double density, int64_t n);

}  // namespace retune::merge
