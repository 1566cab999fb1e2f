#include "adapters/ia3_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "adapters/adapter_folder.h"
#include "adapters/ia3_targets.h"
#include "adapters/modules_to_save.h"
#include "adapters/moved_sites.h"
#include "core/error.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using Form = ModuleSelector::Form;

constexpr const char* kPrefix = "base_model.model.";
constexpr std::string_view kSuffix = ".ia3_l";

// The (IA)³ modules `config` puts on the model's sites, not yet attached, the weights it saves,
// and the config as it is saved.
Ia3Model make_ia3(model::CausalLm& model, const std::vector<model::LinearSite>& sites,
                  const Ia3Config& config) {
  const Ia3Config full = with_default_modules(config, model.config().architecture);
  Ia3Config resolved = full;
  std::vector<Ia3Module> modules;
  std::vector<std::string> names, feedforward;
  for (const Ia3Target& target : resolve_ia3_targets(full, sites)) {
    const model::LinearSite& site = target.site;
    modules.push_back(
        {site, std::make_shared<Ia3Linear>(site.linear_weight(), site.bias, target.feedforward)});
    names.push_back(site.name);
    if (target.feedforward) feedforward.push_back(site.name);
    resolved.fan_in_fan_out = site.conv1d;  // PEFT's per-module override, as it writes it
  }
  if (full.target_modules.form == Form::all_linear) {
    resolved.target_modules = {.form = Form::names};
    for (const model::LinearSite& site : sites) resolved.target_modules.names.push_back(site.name);
    if (full.feedforward_modules.form == Form::names) {
      resolved.feedforward_modules.names = feedforward;
    }
  }
  std::vector<std::string> saved = modules_to_save_weights(model, config.modules_to_save, names);
  return Ia3Model(std::move(resolved), std::move(modules), std::move(saved));
}

void attach(const Ia3Model& ia3) {
  for (const Ia3Module& module : ia3.modules()) module.site.attach(module.ia3);
}

// Why `key` is not one of the adapter's tensors, for the message naming the file.
std::string unexpected_tensor(const std::string& key, const std::vector<model::LinearSite>& sites) {
  if (!key.starts_with(kPrefix) || !key.ends_with(kSuffix)) {
    return fmt::format(
        "tensor \"{}\" is not an IA3 tensor retune reads (expected {}<module>.ia3_l, or a "
        "weight modules_to_save selects)",
        key, kPrefix);
  }
  const std::string module =
      key.substr(std::string_view(kPrefix).size(),
                 key.size() - std::string_view(kPrefix).size() - kSuffix.size());
  if (std::none_of(sites.begin(), sites.end(),
                   [&](const model::LinearSite& site) { return site.name == module; })) {
    return fmt::format(
        "tensor \"{}\": the model has no linear module \"{}\" (an adapter for another "
        "architecture or size?)",
        key, module);
  }
  return fmt::format("tensor \"{}\": module \"{}\" is not one adapter_config.json targets", key,
                     module);
}

}  // namespace

std::vector<AdapterParameter> Ia3Model::parameters() const {
  std::vector<AdapterParameter> parameters;
  for (const Ia3Module& module : modules_) {
    for (AdapterParameter& parameter : module.ia3->parameters()) {
      parameter.name = peft_key(module.site.name, parameter.name);
      parameters.push_back(std::move(parameter));
    }
  }
  return parameters;
}

void Ia3Model::move_to(model::CausalLm& model, Device device) {
  const MovedSites sites(model);
  for (Ia3Module& module : modules_) {
    module.site = sites.at(module.site.name, "Ia3Model::move_to");
    module.ia3->move_to(device, module.site.linear_weight(), module.site.bias);
  }
}

NamedTensors Ia3Model::merged_weights() const {
  NamedTensors merged;
  for (const Ia3Module& module : modules_) {
    const Tensor weight = module.ia3->merged_weight();  // [O, I]
    merged.emplace_back(module.site.name + ".weight",
                        module.site.conv1d ? weight.transpose(0, 1).contiguous() : weight);
    if (Tensor bias = module.ia3->merged_bias(); bias.defined()) {
      merged.emplace_back(module.site.name + ".bias", std::move(bias));
    }
  }
  return merged;
}

void Ia3Model::save(model::CausalLm& model, const fs::path& folder,
                    const std::string& base_model_name_or_path) const {
  NamedTensors tensors;
  for (const AdapterParameter& parameter : parameters()) {
    tensors.emplace_back(parameter.name, parameter.value);
  }
  for (auto& entry : saved_weight_tensors(model, saved_weights_))
    tensors.push_back(std::move(entry));
  write_adapter_folder(folder, tensors, peft_ia3_config(config_, base_model_name_or_path));
}

Ia3Model attach_ia3(model::CausalLm& model, const Ia3Config& config) {
  Ia3Model ia3 = make_ia3(model, model.linear_sites(), config);
  attach(ia3);
  untie_saved_head(model, ia3.saved_weights());
  return ia3;
}

Ia3Model load_ia3(model::CausalLm& model, const fs::path& folder) {
  const fs::path config_path = folder / kAdapterConfigFile;
  const fs::path weights_path = adapter_weights_file(folder);
  const Ia3Config config = read_ia3_config(config_path);
  const std::vector<model::LinearSite> sites = model.linear_sites();
  Ia3Model ia3 = [&] {
    try {
      return make_ia3(model, sites, config);
    } catch (const Error& error) {
      fail("{}: {}", config_path.string(), error.what());
    }
  }();
  // PEFT key -> the adapter's f32 value, or a slot for a saved weight.
  std::map<std::string, Tensor> expected = saved_weight_slots(model, ia3.saved_weights());
  for (const AdapterParameter& parameter : ia3.parameters()) {
    expected.emplace(parameter.name, parameter.value);
  }
  read_adapter_tensors(weights_path, expected,
                       [&](const std::string& key) { return unexpected_tensor(key, sites); });
  attach(ia3);
  set_saved_weights(model, ia3.saved_weights(), expected);
  return ia3;
}

}  // namespace retune::adapters
