#include "compare/trained_model.h"

#include "adapters/lora_model.h"
#include "core/error.h"

namespace retune::compare {

std::unique_ptr<model::CausalLm> load_trained_model(const std::filesystem::path& base,
                                                    const std::filesystem::path& output) {
  if (std::filesystem::is_regular_file(output / "adapter_config.json")) {
    std::unique_ptr<model::CausalLm> model = model::load_causal_lm(base);
    adapters::load_lora(*model, output);
    return model;
  }
  if (std::filesystem::is_regular_file(output / "config.json")) {
    return model::load_causal_lm(output);
  }
  fail("{}: neither an adapter folder (adapter_config.json) nor a model folder (config.json)",
       output.string());
}

}  // namespace retune::compare
