#include "cli/analyze_inputs.h"

#include "core/error.h"

namespace retune::cli {

void add_analyze_inputs(CLI::App* command, AnalyzeInputs& inputs) {
  command->add_option("--base", inputs.base, "the base model folder")->type_name("DIR")->required();
  command->add_option("--tuned", inputs.tuned, "a fine-tuned model folder of the base")
      ->type_name("DIR");
  command->add_option("--adapter", inputs.adapter, "a PEFT adapter folder of the base")
      ->type_name("DIR");
}

std::vector<eval::ModuleWeights> load_module_weights(const AnalyzeInputs& inputs) {
  RETUNE_CHECK(inputs.tuned.has_value() != inputs.adapter.has_value(),
               "give one of --tuned DIR (a fine-tuned model) and --adapter DIR (a PEFT adapter)");
  return inputs.tuned ? eval::tuned_module_weights(inputs.base, *inputs.tuned)
                      : eval::adapter_module_weights(inputs.base, *inputs.adapter);
}

nlohmann::json inputs_json(const AnalyzeInputs& inputs) {
  nlohmann::json out = {{"base", inputs.base}};
  if (inputs.tuned) out["tuned"] = *inputs.tuned;
  if (inputs.adapter) out["adapter"] = *inputs.adapter;
  return out;
}

}  // namespace retune::cli
