#include "adapters/poly_config.h"

#include <algorithm>
#include <string_view>

#include "adapters/peft_config_fields.h"
#include "core/error.h"

namespace retune::adapters {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using Form = ModuleSelector::Form;

// The fields of PEFT's PolyConfig and its PeftConfig base.
constexpr std::string_view kKnownFields[] = {"auto_mapping",
                                             "base_model_name_or_path",
                                             "exclude_modules",
                                             "inference_mode",
                                             "init_weights",
                                             "modules_to_save",
                                             "n_skills",
                                             "n_splits",
                                             "n_tasks",
                                             "peft_type",
                                             "peft_version",
                                             "poly_type",
                                             "r",
                                             "revision",
                                             "target_modules",
                                             "task_type"};

}  // namespace

PolyConfig parse_poly_config(const ordered_json& document, const std::string& source) {
  const PeftConfigFields fields(document, source);
  fields.check_types("POLY");
  for (const auto& [key, value] : document.items()) {
    if (std::find(std::begin(kKnownFields), std::end(kKnownFields), key) ==
        std::end(kKnownFields)) {
      fields.check_unset(key.c_str());
    }
  }
  PolyConfig config;
  if (const ordered_json* type = fields.find("poly_type");
      type != nullptr && (!type->is_string() || type->get<std::string>() != "poly")) {
    fields.bad("poly_type", "\"poly\" (the only type PEFT 0.21 has)", *type);
  }
  config.shape.r = fields.positive_int("r", config.shape.r);
  config.shape.n_tasks = fields.positive_int("n_tasks", config.shape.n_tasks);
  config.shape.n_skills = fields.positive_int("n_skills", config.shape.n_skills);
  config.shape.n_splits = fields.positive_int("n_splits", config.shape.n_splits);
  config.target_modules = fields.modules("target_modules", true);
  config.exclude_modules = fields.modules("exclude_modules", false);
  config.modules_to_save = fields.module_names("modules_to_save");
  config.init_weights = fields.boolean("init_weights", config.init_weights);
  return config;
}

PolyConfig read_poly_config(const std::filesystem::path& file) {
  return parse_poly_config(read_config_document(file), file.string());
}

json peft_poly_config(const PolyConfig& config, const std::string& base_model_name_or_path) {
  return {
      {"auto_mapping", nullptr},
      {"base_model_name_or_path", base_model_name_or_path},
      {"exclude_modules", selector_json(config.exclude_modules)},
      {"inference_mode", true},
      {"init_weights", config.init_weights},
      {"modules_to_save",
       config.modules_to_save.empty() ? json(nullptr) : json(config.modules_to_save)},
      {"n_skills", config.shape.n_skills},
      {"n_splits", config.shape.n_splits},
      {"n_tasks", config.shape.n_tasks},
      {"peft_type", "POLY"},
      {"peft_version", "0.21.2"},
      {"poly_type", "poly"},
      {"r", config.shape.r},
      {"revision", nullptr},
      {"target_modules", selector_json(config.target_modules)},
      {"task_type", "CAUSAL_LM"},
  };
}

std::vector<model::LinearSite> resolve_poly_targets(const PolyConfig& config,
                                                    model::Architecture architecture,
                                                    const std::vector<model::LinearSite>& sites) {
  ModuleSelector targets = config.target_modules;
  if (targets.form == Form::none) {
    // PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING, which PolyModel uses.
    targets = {.form = Form::names,
               .names = architecture == model::Architecture::gpt2
                            ? std::vector<std::string>{"c_attn"}
                            : std::vector<std::string>{"q_proj", "v_proj"}};
  }
  if (targets.form == Form::names) check_names_exist(targets, sites, "Poly target_modules");
  ModuleMatcher target(targets, "Poly target_modules");
  ModuleMatcher exclude(config.exclude_modules, "Poly exclude_modules");
  std::vector<model::LinearSite> selected;
  for (const model::LinearSite& site : sites) {
    if (!exclude.selects(site.name) && target.selects(site.name)) selected.push_back(site);
  }
  if (selected.empty()) {
    fail("Poly target_modules selects no module (after exclude_modules); {}", module_list(sites));
  }
  return selected;
}

}  // namespace retune::adapters
