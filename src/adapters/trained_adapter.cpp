#include "adapters/trained_adapter.h"

#include "adapters/adapter_folder.h"
#include "adapters/ia3_model.h"
#include "adapters/lora_model.h"
#include "adapters/peft_config_fields.h"
#include "adapters/poly_model.h"
#include "adapters/ssf_model.h"
#include "core/error.h"

namespace retune::adapters {

namespace fs = std::filesystem;

std::string adapter_peft_type(const fs::path& folder) {
  const fs::path file = folder / kAdapterConfigFile;
  const nlohmann::ordered_json document = read_config_document(file);
  const auto type = document.is_object() ? document.find("peft_type") : document.end();
  if (!document.is_object() || type == document.end() || !type->is_string()) {
    fail(
        "{}: missing field \"peft_type\" (the adapter's method: \"LORA\", \"IA3\", \"SSF\" or "
        "\"POLY\")",
        file.string());
  }
  return type->get<std::string>();
}

std::unique_ptr<TrainedAdapter> load_adapter(model::CausalLm& model, const fs::path& folder) {
  const std::string type = adapter_peft_type(folder);
  if (type == "LORA") return std::make_unique<LoraModel>(load_lora(model, folder));
  if (type == "IA3") return std::make_unique<Ia3Model>(load_ia3(model, folder));
  if (type == "SSF") return std::make_unique<SsfModel>(load_ssf(model, folder));
  if (type == "POLY") return std::make_unique<PolyModel>(load_poly(model, folder));
  fail(
      "{}: peft_type \"{}\" is not an adapter type retune loads (supported: \"LORA\" for LoRA "
      "and its variants, \"IA3\" for (IA)³, \"SSF\" for SSF, \"POLY\" for Poly and MHR)",
      (folder / kAdapterConfigFile).string(), type);
}

}  // namespace retune::adapters
