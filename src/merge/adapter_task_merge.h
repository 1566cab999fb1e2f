// Merging task tensors as PEFT's utils/merge_utils.py does for add_weighted_adapter
// (huggingface/peft 0.21: task_arithmetic, magnitude_prune, ties, dare_linear, dare_ties), on
// flat f32 tensors of one shape, one per adapter (task), with one weight each:
//
//   1. sparsify each task tensor, unweighted (merge/sparsify.h):
//        none       as it is
//        magnitude  keep the int(density * n) entries of largest |t| (sparsify keeps at least
//                   one where PEFT keeps none: only when density * n < 1)
//        random     keep each entry with probability density and divide it by density (PEFT's
//                   random_pruning with rescale; the draws are retune's, a pure function of the
//                   task's seed and the entry, not torch.bernoulli's)
//      density >= 1 leaves the tensors as they are.
//   2. combine:
//        sum   Σ_t w_t t                                     (task_arithmetic, dare_linear, ...)
//        ties  elect a sign per entry from the sparsified, unweighted tensors: "total" the sign
//              of Σ_t t, "frequency" of Σ_t sign(t), a sum >= 0 electing +; then
//              Σ_{t: sign(t) = elected} w_t t / max(1, #{t: sign(t) = elected}). Zero entries
//              never agree (PEFT's disjoint_merge).
// Sums are taken in double; the result is rounded to f32.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "merge/merge_method.h"

namespace retune::merge {

enum class MajoritySign { total, frequency };

struct TaskMerge {
  Sparsification sparsification = Sparsification::none;  // none, magnitude or random
  bool ties = false;
  MajoritySign majority_sign = MajoritySign::total;
  double density = 1;
};

// tasks: flat tensors of one length, sparsified in place; weights and seeds (for random
// sparsification): one per task. Returns the merged tensor.
std::vector<float> merge_task_tensors(std::vector<std::vector<float>>& tasks,
                                      std::span<const double> weights,
                                      std::span<const uint64_t> seeds, const TaskMerge& merge);

}  // namespace retune::merge
