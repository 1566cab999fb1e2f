#include "adapters/lora_ga_start.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "linalg/randomized_svd.h"
#include "model/trainable_weights.h"

namespace retune::adapters {

std::map<std::string, Tensor> mean_weight_gradients(model::CausalLm& model,
                                                    const std::vector<std::string>& weights,
                                                    const std::vector<CalibrationBatch>& batches) {
  RETUNE_CHECK(!batches.empty(), "LoRA-GA: no calibration batch to estimate gradients on");
  const std::set<std::string> wanted(weights.begin(), weights.end());
  const model::TrainingSetup setup = model::make_training_step(
      model, [&](const std::string& name) { return wanted.contains(name); });
  for (const CalibrationBatch& batch : batches) setup.step->step(batch.token_batch(), 1.0f);
  std::map<std::string, Tensor> gradients;
  const auto count = static_cast<float>(batches.size());
  for (const model::TrainedWeight& weight : setup.weights) {
    Tensor mean = weight.grad.clone();
    float* g = mean.mutable_data<float>();
    for (int64_t i = 0; i < mean.numel(); ++i) g[i] /= count;
    gradients.emplace(weight.name, std::move(mean));
  }
  RETUNE_CHECK(gradients.size() == wanted.size(), "LoRA-GA: {} of {} weights got a gradient",
               gradients.size(), wanted.size());
  return gradients;
}

LoraStart lora_ga_start(const Tensor& gradient, int64_t r, const LoraGaOptions& options,
                        uint64_t seed) {
  const int64_t out = gradient.size(0), in = gradient.size(1);
  const int64_t smaller = std::min(out, in);
  RETUNE_CHECK(r >= 1 && 2 * r <= smaller, "LoRA-GA needs 2r <= min(out, in) = {}, got r = {}",
               smaller, r);
  RETUNE_CHECK(options.gamma > 0, "LoRA-GA's gamma must be > 0, got {}", options.gamma);
  const linalg::Svd svd = linalg::randomized_svd(gradient, std::min(4 * r, smaller), 4, seed);
  const int64_t k = svd.s.size(0);
  const float factor =
      static_cast<float>(std::pow(static_cast<double>(out), 0.25) / std::sqrt(options.gamma));
  const bool official = options.variant == LoraGaVariant::official;
  LoraStart start{.a = Tensor::empty({r, in}, DType::f32),
                  .b = Tensor::empty({out, r}, DType::f32)};
  const float* u = svd.u.data<float>();
  const float* s = svd.s.data<float>();
  const float* vt = svd.vt.data<float>();
  float* a = start.a.mutable_data<float>();
  float* b = start.b.mutable_data<float>();
  for (int64_t j = 0; j < r; ++j) {
    const float a_scale = official ? factor : 1.0f;
    const float b_scale = official ? factor : factor * s[r + j];
    for (int64_t i = 0; i < in; ++i) a[j * in + i] = a_scale * vt[j * in + i];
    for (int64_t o = 0; o < out; ++o) b[o * r + j] = b_scale * u[o * k + r + j];
  }
  return start;
}

}  // namespace retune::adapters
