#include "eval/model_pairing.h"

#include <map>
#include <memory>

#include "core/error.h"
#include "model/causal_lm.h"
#include "model/model_config.h"
#include "model/trainable_weights.h"

namespace retune::eval {

std::vector<PairedWeight> pair_model_weights(const std::filesystem::path& base_folder,
                                             const std::filesystem::path& tuned_folder) {
  const std::unique_ptr<model::CausalLm> base = model::load_causal_lm(base_folder);
  const std::unique_ptr<model::CausalLm> tuned = model::load_causal_lm(tuned_folder);
  RETUNE_CHECK(base->config().architecture == tuned->config().architecture,
               "{}: architecture {}, but the base {} is {}",
               (tuned_folder / "config.json").string(),
               model::architecture_name(tuned->config().architecture), base_folder.string(),
               model::architecture_name(base->config().architecture));
  std::map<std::string, Tensor> tuned_weights;
  for (auto& [name, weight] : model::named_weights(*tuned)) tuned_weights.emplace(name, weight);
  std::vector<PairedWeight> weights;
  for (auto& [name, weight] : model::named_weights(*base)) {
    const auto found = tuned_weights.find(name);
    RETUNE_CHECK(found != tuned_weights.end(), "{}: no weight {}, which the base {} has",
                 tuned_folder.string(), name, base_folder.string());
    RETUNE_CHECK(found->second.shape() == weight.shape(),
                 "{}: weight {} of shape {}, but the base {} has shape {}", tuned_folder.string(),
                 name, found->second.shape().str(), base_folder.string(), weight.shape().str());
    weights.push_back({name, weight, found->second});
    tuned_weights.erase(found);
  }
  RETUNE_CHECK(tuned_weights.empty(), "{}: weight {}, which the base {} lacks",
               tuned_folder.string(), tuned_weights.begin()->first, base_folder.string());
  return weights;
}

}  // namespace retune::eval
