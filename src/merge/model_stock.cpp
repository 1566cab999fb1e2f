#include "merge/model_stock.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace retune::merge {

std::vector<float> model_stock_merge(TensorGroup& group) {
  RETUNE_CHECK(group.base && group.inputs.size() >= 3,
               "{}: model_stock takes a base and two models or more", group.name);
  const std::vector<float>& w0 = group.inputs[*group.base];
  std::vector<size_t> others;
  for (size_t i = 0; i < group.inputs.size(); ++i) {
    if (i != *group.base) others.push_back(i);
  }
  const size_t n = w0.size();
  const bool filter_wise = group.parameters.flag("filter_wise");
  const size_t width = filter_wise && group.shape.rank() >= 1
                           ? static_cast<size_t>(group.shape[group.shape.rank() - 1])
                           : n;
  const auto count = static_cast<float>(others.size());
  std::vector<float> out(n);
  for (size_t start = 0; start < n; start += width) {
    // Offsets w_i − w₀ of this row (f32, as mergekit subtracts).
    std::vector<std::vector<float>> offsets(others.size(), std::vector<float>(width));
    std::vector<double> norms(others.size());
    for (size_t k = 0; k < others.size(); ++k) {
      double sum = 0;
      for (size_t j = 0; j < width; ++j) {
        const float d = group.inputs[others[k]][start + j] - w0[start + j];
        offsets[k][j] = d;
        sum += static_cast<double>(d) * d;
      }
      norms[k] = std::sqrt(sum);
    }
    float cos_sum = 0;
    int pairs = 0;
    for (size_t a = 0; a < others.size(); ++a) {
      for (size_t b = a + 1; b < others.size(); ++b) {
        double dot = 0;
        for (size_t j = 0; j < width; ++j)
          dot += static_cast<double>(offsets[a][j]) * offsets[b][j];
        const float product =
            std::max(static_cast<float>(norms[a]) * static_cast<float>(norms[b]), 1e-6f);
        cos_sum += std::clamp(static_cast<float>(dot) / product, -1.0f, 1.0f);
        ++pairs;
      }
    }
    const float cos_theta = cos_sum / static_cast<float>(pairs);
    const float denominator = 1 + (count - 1) * cos_theta;
    const float t = std::fabs(denominator) < 1e-6f ? 0.0f : (count * cos_theta) / denominator;
    for (size_t j = 0; j < width; ++j) {
      float sum = 0;
      for (size_t i : others) sum += group.inputs[i][start + j];
      const float average = sum / count;
      out[start + j] = t * average + (1 - t) * w0[start + j];
    }
  }
  return out;
}

}  // namespace retune::merge
