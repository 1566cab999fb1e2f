#include "eval/intruder_mitigation.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "adapters/adapter_folder.h"
#include "adapters/lora_model.h"
#include "adapters/trained_adapter.h"
#include "core/error.h"
#include "io/file_contents.h"
#include "model/causal_lm.h"

namespace retune::eval {
namespace {

std::string base_model_name(const std::filesystem::path& adapter_folder,
                            const std::filesystem::path& base_folder) {
  const nlohmann::json config = read_json_file(adapter_folder / adapters::kAdapterConfigFile);
  const auto found = config.find("base_model_name_or_path");
  return found != config.end() && found->is_string() ? found->get<std::string>()
                                                     : base_folder.string();
}

}  // namespace

std::vector<ModuleIntruders> mitigate_intruders(const std::filesystem::path& base_folder,
                                                const std::filesystem::path& adapter_folder,
                                                const std::filesystem::path& out_folder,
                                                const IntruderOptions& options, double lambda) {
  check_intruder_options(options);
  RETUNE_CHECK(lambda >= 0 && lambda <= 1, "--mitigate must be in [0, 1], got {}", lambda);
  const std::string config_file = (adapter_folder / adapters::kAdapterConfigFile).string();
  const std::string peft_type = adapters::adapter_peft_type(adapter_folder);
  RETUNE_CHECK(peft_type == "LORA",
               "{}: peft_type {}, but intruder mitigation supports LoRA adapters only", config_file,
               peft_type);
  const std::unique_ptr<model::CausalLm> model = model::load_causal_lm(base_folder);
  const adapters::LoraModel lora = adapters::load_lora(*model, adapter_folder);
  RETUNE_CHECK(!lora.config().use_dora,
               "{}: use_dora is true, but intruder mitigation supports plain LoRA adapters only",
               config_file);
  std::vector<ModuleIntruders> found;
  for (const adapters::LoraModule& module : lora.modules()) {
    const Tensor weight =
        module.site.conv1d ? module.site.weight.transpose(0, 1) : module.site.weight;
    const linalg::Matrix base =
        linalg::read_matrix(weight, "intruder mitigation", module.site.name.c_str(), "[out, in]");
    linalg::Matrix merged = linalg::read_matrix(module.lora->merged_delta(), "intruder mitigation",
                                                module.site.name.c_str(), "[out, in]");
    for (size_t i = 0; i < merged.values.size(); ++i) merged.values[i] += base.values[i];
    const IntruderAnalysis analysis = analyse_intruders(base, merged, options);
    found.push_back(summarise_intruders(module.site.name, analysis));
    if (analysis.intruders.empty()) continue;
    const int64_t rank = module.lora->parameters()[0].value.size(0);
    const LoraFactors factors =
        mitigated_lora_factors(base, merged, analysis, lambda, module.lora->scaling(), rank);
    module.lora->set_parameter("lora_A.weight", linalg::to_tensor(factors.a));
    module.lora->set_parameter("lora_B.weight", linalg::to_tensor(factors.b));
  }
  lora.save(*model, out_folder, base_model_name(adapter_folder, base_folder));
  return found;
}

}  // namespace retune::eval
