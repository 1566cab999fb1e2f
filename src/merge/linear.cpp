#include "merge/linear.h"

#include "core/error.h"

namespace retune::merge {

std::vector<float> linear_merge(TensorGroup& group) {
  const size_t n = static_cast<size_t>(group.numel());
  std::vector<float> out(n, 0.0f);
  float total = 0;
  for (size_t i = 0; i < group.inputs.size(); ++i) {
    const auto w = static_cast<float>(group.parameters.number("weight", i));
    total += w;
    const std::vector<float>& x = group.inputs[i];
    for (size_t j = 0; j < n; ++j) out[j] += x[j] * w;
  }
  if (group.parameters.flag("normalize")) {
    for (float& v : out) v /= total;
  }
  return out;
}

std::vector<float> passthrough_merge(TensorGroup& group) {
  RETUNE_CHECK(group.inputs.size() == 1, "{}: passthrough takes one model per slice, got {}",
               group.name, group.inputs.size());
  std::vector<float> out = std::move(group.inputs[0]);
  if (group.parameters.has("scale", 0)) {
    const auto scale = static_cast<float>(group.parameters.number("scale", 0));
    for (float& v : out) v *= scale;
  }
  return out;
}

}  // namespace retune::merge
