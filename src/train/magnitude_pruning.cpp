#include "train/magnitude_pruning.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <span>
#include <vector>

#include "core/error.h"
#include "train/sparse_update.h"

namespace retune::train {

PrunedWeights prune_by_magnitude(const NamedTensors& weights, double sparsity) {
  RETUNE_CHECK(sparsity >= 0 && sparsity < 1, "sparsity must be in [0, 1), got {}", sparsity);
  PrunedWeights out;
  // |w - 0| is |w|: the top-k mask against zeros keeps the largest magnitudes.
  NamedTensors zeros;
  for (const auto& [name, weight] : weights) {
    if (!sparse_maskable(name)) continue;
    zeros.emplace_back(name, Tensor::zeros(weight.shape(), DType::f32));
    out.maskable += weight.numel();
  }
  RETUNE_CHECK(out.maskable > 0, "the model has no decoder-layer linear weight to prune");
  out.kept = std::max<int64_t>(1, std::llround((1 - sparsity) * static_cast<double>(out.maskable)));
  out.mask = top_k_mask(zeros, weights, out.kept);
  std::map<std::string, Tensor> kept(out.mask.begin(), out.mask.end());
  for (const auto& [name, weight] : weights) {
    if (!sparse_maskable(name)) {
      out.weights.emplace_back(name, weight);
      continue;
    }
    const std::vector<float> values = weight.to_f32_vector();
    std::vector<float> pruned(values.size(), 0.0F);
    if (const auto found = kept.find(name); found != kept.end()) {
      const Tensor& indices = found->second;
      const auto* index = indices.data<int64_t>();
      for (int64_t i = 0; i < indices.numel(); ++i) pruned[index[i]] = values[index[i]];
    }
    out.weights.emplace_back(
        name, Tensor::from_vector(weight.shape(), DType::f32, std::span<const float>(pruned)));
  }
  return out;
}

}  // namespace retune::train
