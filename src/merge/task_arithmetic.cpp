#include "merge/task_arithmetic.h"

#include <cmath>
#include <span>

#include "core/error.h"
#include "core/rng.h"
#include "merge/sparsify.h"

namespace retune::merge {
namespace {

// An input's sparsification, with its parameters for this tensor.
SparsifyOptions sparsify_options(const MethodSpec& method, const TensorGroup& group, size_t input,
                                 size_t ordinal) {
  const GroupParameters& p = group.parameters;
  SparsifyOptions o;
  o.method = method.sparsification;
  o.density = p.number("density", input);
  if (method.sparsification == Sparsification::magnitude_outliers) {
    o.gamma = p.number("gamma", input);
  }
  if (method.sparsification == Sparsification::della_magprune) {
    o.epsilon = p.number("epsilon", input);
    if (o.density < 1 && (o.density + o.epsilon >= 1 || o.density - o.epsilon <= 0)) {
      fail("tensor {}, model {}: density {} ± epsilon {} must stay inside (0, 1)", group.name,
           group.input_labels[input], o.density, o.epsilon);
    }
  }
  o.columns = group.columns();
  if (p.flag("rescale")) {
    o.rescale =
        method.random() && p.text("rescale_mode") == "inverse" ? Rescale::inverse : Rescale::l1;
  }
  // Each input of each tensor draws its own stream.
  o.seed = mix64(group.seed ^ mix64(0x5bd1e995u + ordinal));
  return o;
}

}  // namespace

std::vector<float> task_arithmetic_merge(const MethodSpec& method, TensorGroup& group,
                                         const ModelThresholds& thresholds) {
  RETUNE_CHECK(group.base.has_value(), "{}: {} needs a base model", group.name, method.name);
  const size_t base = *group.base;
  const size_t n = static_cast<size_t>(group.numel());
  std::vector<float> base_values = std::move(group.inputs[base]);
  std::vector<size_t> others;
  for (size_t i = 0; i < group.inputs.size(); ++i) {
    if (i != base) others.push_back(i);
  }
  if (others.empty()) return base_values;

  // δ_i = sparsify(θ_i − θ₀), then w_i δ_i (in place of θ_i).
  std::vector<float> weights;
  for (size_t k = 0; k < others.size(); ++k) {
    const size_t i = others[k];
    std::vector<float>& delta = group.inputs[i];
    for (size_t j = 0; j < n; ++j) delta[j] -= base_values[j];
    SparsifyOptions options = sparsify_options(method, group, i, k);
    if (!thresholds.empty()) {
      options.use_threshold = true;
      options.threshold = thresholds[k];
    }
    sparsify(delta, options);
    const auto w = static_cast<float>(group.parameters.number("weight", i));
    weights.push_back(w);
    for (float& v : delta) v *= w;
  }
  const bool normalize = group.parameters.flag("normalize");
  const auto lambda = static_cast<float>(group.parameters.number("lambda"));
  std::vector<float>& out = base_values;  // θ₀ + λ·delta, in place
  if (method.consensus == Consensus::sum) {
    for (size_t j = 0; j < n; ++j) {
      float sign_weight = 0;
      for (size_t i : others) sign_weight += group.inputs[i][j];
      const float majority = sign_weight >= 0 ? 1.0f : -1.0f;
      float mixed = 0;
      float divisor = 0;
      for (size_t k = 0; k < others.size(); ++k) {
        const float d = group.inputs[others[k]][j];
        const float sign = d > 0 ? 1.0f : (d < 0 ? -1.0f : 0.0f);
        if (sign == majority) {
          mixed += d;
          divisor += weights[k];
        }
      }
      if (divisor == 0) divisor = 1;
      if (normalize) mixed /= divisor;
      if (lambda != 1) mixed *= lambda;
      out[j] = base_values[j] + mixed;
    }
  } else {
    float divisor = 0;
    for (float w : weights) divisor += w;
    if (std::fabs(divisor) < 1e-8f) divisor = 1;
    for (size_t j = 0; j < n; ++j) {
      float mixed = 0;
      for (size_t i : others) mixed += group.inputs[i][j];
      if (normalize) mixed /= divisor;
      if (lambda != 1) mixed *= lambda;
      out[j] = base_values[j] + mixed;
    }
  }
  return base_values;
}

}  // namespace retune::merge
