#include "model/causal_lm.h"

#include "model/gpt2_model.h"
#include "model/llama_model.h"

namespace retune::model {

std::unique_ptr<CausalLm> load_causal_lm(const std::filesystem::path& folder) {
  if (load_model_config(folder).architecture == Architecture::gpt2) {
    return std::make_unique<Gpt2Model>(Gpt2Model::load(folder));
  }
  return std::make_unique<LlamaModel>(LlamaModel::load(folder));
}

}  // namespace retune::model
