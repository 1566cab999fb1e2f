#include "continual/adapter_mean.h"

#include <map>
#include <string>

#include "adapters/trained_adapter.h"
#include "core/error.h"
#include "model/trainable_weights.h"

namespace retune::continual {

std::unique_ptr<model::CausalLm> load_adapter_mean(
    const std::filesystem::path& base, const std::vector<std::filesystem::path>& adapters) {
  RETUNE_CHECK(!adapters.empty(), "no adapter to average");
  std::unique_ptr<model::CausalLm> merged = model::load_causal_lm(base);
  std::map<std::string, Tensor> base_weights;  // W0, f32
  for (const auto& [name, weight] : model::named_weights(*merged)) {
    base_weights[name] = weight.to(DType::f32).contiguous();
  }
  std::map<std::string, Tensor> deltas;  // Σ_k ΔW_k (an adapter without the module adds 0)
  for (const std::filesystem::path& folder : adapters) {
    const std::unique_ptr<model::CausalLm> tuned = model::load_causal_lm(base);
    const std::unique_ptr<adapters::TrainedAdapter> adapter =
        adapters::load_adapter(*tuned, folder);
    for (const auto& [name, weight] : adapter->merged_weights()) {
      RETUNE_CHECK(base_weights.contains(name),
                   "{}: merging gives weight {}, which the base {} lacks (an SSF shift merged "
                   "into a new bias): averaging needs adapters that merge into the base's weights",
                   folder.string(), name, base.string());
      const Tensor& w0 = base_weights.at(name);
      auto [delta, fresh] = deltas.try_emplace(name, Tensor::zeros(w0.shape(), DType::f32));
      float* sum = delta->second.mutable_data<float>();
      const float* tuned_value = weight.data<float>();
      const float* start = w0.data<float>();
      for (int64_t i = 0; i < w0.numel(); ++i) sum[i] += tuned_value[i] - start[i];
    }
  }
  const float share = 1.0f / static_cast<float>(adapters.size());
  for (auto& [name, delta] : deltas) {
    float* value = delta.mutable_data<float>();
    const float* start = base_weights.at(name).data<float>();
    for (int64_t i = 0; i < delta.numel(); ++i) value[i] = start[i] + share * value[i];
    model::set_weight(*merged, name, delta);
  }
  return merged;
}

}  // namespace retune::continual
