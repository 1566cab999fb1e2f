#include "adapters/lora_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "adapters/adapter_folder.h"
#include "adapters/lora_start.h"
#include "adapters/lora_targets.h"
#include "adapters/modules_to_save.h"
#include "adapters/moved_sites.h"
#include "core/error.h"
#include "core/rng.h"
#include "ops/matmul.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrefix = "base_model.model.";

// The LoRAs `config` puts on the model's sites, not yet attached, the weights it saves, and the
// config as PEFT saves it.
LoraModel make_lora(model::CausalLm& model, const std::vector<model::LinearSite>& sites,
                    const LoraConfig& config, uint64_t seed) {
  LoraConfig resolved = config;
  resolved.target_modules = {.form = ModuleSelector::Form::names};
  std::vector<LoraModule> modules;
  Rng seeds(seed);
  for (const LoraTarget& target : resolve_lora_targets(config, sites)) {
    const model::LinearSite& site = target.site;
    const LoraOptions options{.r = target.r,
                              .alpha = static_cast<float>(target.alpha),
                              .dropout = static_cast<float>(config.lora_dropout),
                              .use_rslora = config.use_rslora,
                              .use_dora = config.use_dora,
                              .init = config.init_lora_weights,
                              .init_seed = seeds.next_u64(),
                              .dropout_seed = seeds.next_u64()};
    modules.push_back({site, std::make_shared<LoraLinear>(site.linear_weight(), options)});
    resolved.target_modules.names.push_back(site.name);
    resolved.fan_in_fan_out = site.conv1d;  // PEFT's per-module override, as it writes it
  }
  std::vector<std::string> saved =
      modules_to_save_weights(model, config.modules_to_save, resolved.target_modules.names);
  return LoraModel(std::move(resolved), std::move(modules), std::move(saved));
}

void attach(const LoraModel& lora) {
  for (const LoraModule& module : lora.modules()) module.site.attach(module.lora);
}

// Why `key` is not one of the adapter's tensors, for the message naming the file.
std::string unexpected_tensor(const std::string& key, const LoraConfig& config,
                              const std::vector<model::LinearSite>& sites) {
  static constexpr const char* kSuffixes[] = {".lora_A.weight", ".lora_B.weight",
                                              ".lora_magnitude_vector"};
  const auto suffix = std::find_if(std::begin(kSuffixes), std::end(kSuffixes),
                                   [&](const char* s) { return key.ends_with(s); });
  if (!key.starts_with(kPrefix) || suffix == std::end(kSuffixes)) {
    return fmt::format(
        "tensor \"{}\" is not a LoRA tensor retune reads (expected "
        "{}<module>.lora_A.weight, .lora_B.weight or .lora_magnitude_vector, or a weight "
        "modules_to_save selects)",
        key, kPrefix);
  }
  const std::string module =
      key.substr(std::string_view(kPrefix).size(),
                 key.size() - std::string_view(kPrefix).size() - std::string_view(*suffix).size());
  if (std::none_of(sites.begin(), sites.end(),
                   [&](const model::LinearSite& site) { return site.name == module; })) {
    return fmt::format(
        "tensor \"{}\": the model has no linear module \"{}\" (an adapter for "
        "another architecture or size?)",
        key, module);
  }
  const std::vector<std::string>& targets = config.target_modules.names;
  if (std::find(targets.begin(), targets.end(), module) == targets.end()) {
    return fmt::format("tensor \"{}\": module \"{}\" is not one adapter_config.json targets", key,
                       module);
  }
  return fmt::format("tensor \"{}\" is DoRA's, but adapter_config.json has use_dora false", key);
}

}  // namespace

void LoraModel::move_to(model::CausalLm& model, Device device) {
  const MovedSites sites(model);
  for (const LoraModule& module : modules_) {
    module.lora->move_to(device, sites.at(module.site.name, "LoraModel::move_to").linear_weight());
  }
}

std::vector<AdapterParameter> LoraModel::parameters() const {
  std::vector<AdapterParameter> parameters;
  for (const LoraModule& module : modules_) {
    for (AdapterParameter& parameter : module.lora->parameters()) {
      parameter.name = peft_key(module.site.name, parameter.name);
      parameters.push_back(std::move(parameter));
    }
  }
  return parameters;
}

void LoraModel::zero_grad() {
  for (const LoraModule& module : modules_) module.lora->zero_grad();
}

std::vector<uint64_t> LoraModel::dropout_offsets() const {
  std::vector<uint64_t> offsets;
  for (const LoraModule& module : modules_) offsets.push_back(module.lora->dropout_offset());
  return offsets;
}

void LoraModel::set_dropout_offsets(const std::vector<uint64_t>& offsets) {
  RETUNE_CHECK(offsets.size() == modules_.size(),
               "{} dropout offsets for {} LoRA modules: the checkpoint was made by another config",
               offsets.size(), modules_.size());
  for (size_t i = 0; i < offsets.size(); ++i) modules_[i].lora->set_dropout_offset(offsets[i]);
}

nlohmann::json LoraModel::checkpoint_state() const {
  return {{"dropout_offsets", dropout_offsets()}};
}

void LoraModel::restore_checkpoint_state(const nlohmann::json& run) {
  if (run.contains("dropout_offsets")) {
    set_dropout_offsets(run.at("dropout_offsets").get<std::vector<uint64_t>>());
  }
}

NamedTensors LoraModel::merged_weights() const {
  NamedTensors merged;
  for (const LoraModule& module : modules_) {
    const Tensor delta = module.lora->merged_delta();  // [O, I]
    if (module.start_a.defined()) {
      ops::matmul_forward(module.start_b, module.start_a, delta,
                          {.alpha = -module.lora->scaling(), .beta = 1.0f});
    }
    const std::vector<float> change =
        (module.site.conv1d ? delta.transpose(0, 1) : delta).to_f32_vector();
    Tensor weight = module.site.weight.to(DType::f32).clone();
    float* w = weight.mutable_data<float>();
    for (size_t i = 0; i < change.size(); ++i) w[i] += change[i];
    merged.emplace_back(module.site.name + ".weight", std::move(weight));
  }
  return merged;
}

void LoraModel::set_residual_start(size_t module, Tensor a, Tensor b) {
  RETUNE_CHECK(module < modules_.size(), "LoRA module {} of {}", module, modules_.size());
  modules_[module].start_a = std::move(a);
  modules_[module].start_b = std::move(b);
}

bool LoraModel::residualised() const {
  return std::any_of(modules_.begin(), modules_.end(),
                     [](const LoraModule& module) { return module.start_a.defined(); });
}

LoraConfig LoraModel::saved_config() const {
  LoraConfig saved = config_;
  if (!residualised()) return saved;
  const double alpha_factor = saved.use_rslora ? std::sqrt(2.0) : 2.0;
  saved.r *= 2;
  saved.lora_alpha *= alpha_factor;
  for (auto& [key, r] : saved.rank_pattern) r *= 2;
  for (auto& [key, alpha] : saved.alpha_pattern) alpha *= alpha_factor;
  saved.init_lora_weights = LoraInit::kaiming_uniform;
  saved.start = LoraStartMethod::random;
  return saved;
}

NamedTensors LoraModel::saved_parameters() const {
  NamedTensors saved;
  for (const LoraModule& module : modules_) {
    const std::string prefix = peft_key(module.site.name, "");
    if (!module.start_a.defined()) {
      for (const AdapterParameter& parameter : module.lora->parameters()) {
        saved.emplace_back(prefix + parameter.name, parameter.value);
      }
      continue;
    }
    std::vector<AdapterParameter> parameters = module.lora->parameters();
    const Tensor& a = parameters.at(0).value;  // [r, I]
    const Tensor& b = parameters.at(1).value;  // [O, r]
    const int64_t r = a.size(0);
    Tensor a2 = Tensor::empty({2 * r, a.size(1)}, DType::f32);
    a2.slice(0, 0, r).copy_from(a);
    a2.slice(0, r, 2 * r).copy_from(module.start_a);
    Tensor b2 = Tensor::empty({b.size(0), 2 * r}, DType::f32);
    b2.slice(1, 0, r).copy_from(b);
    const Tensor negated = module.start_b.clone();
    float* value = negated.mutable_data<float>();
    for (int64_t i = 0; i < negated.numel(); ++i) value[i] = -value[i];
    b2.slice(1, r, 2 * r).copy_from(negated);
    saved.emplace_back(prefix + "lora_A.weight", std::move(a2));
    saved.emplace_back(prefix + "lora_B.weight", std::move(b2));
  }
  return saved;
}

LoraModel attach_lora(model::CausalLm& model, const LoraConfig& config, uint64_t seed) {
  LoraModel lora = make_lora(model, model.linear_sites(), config, seed);
  attach(lora);
  untie_saved_head(model, lora.saved_weights());
  return lora;
}

void save_lora(const LoraModel& lora, model::CausalLm& model, const fs::path& folder,
               const std::string& base_model_name_or_path) {
  NamedTensors tensors = lora.saved_parameters();
  for (auto& entry : saved_weight_tensors(model, lora.saved_weights())) {
    tensors.push_back(std::move(entry));
  }
  write_adapter_folder(folder, tensors,
                       peft_adapter_config(lora.saved_config(), base_model_name_or_path));
}

void LoraModel::save(model::CausalLm& model, const fs::path& folder,
                     const std::string& base_model_name_or_path) const {
  save_lora(*this, model, folder, base_model_name_or_path);
}

LoraModel load_lora(model::CausalLm& model, const fs::path& folder) {
  const fs::path config_path = folder / kAdapterConfigFile;
  const fs::path weights_path = adapter_weights_file(folder);
  const LoraConfig config = read_lora_config(config_path);
  check_loadable_start(config, config_path.string());
  const std::vector<model::LinearSite> sites = model.linear_sites();
  LoraModel lora = [&] {
    try {
      return make_lora(model, sites, config, 0);
    } catch (const Error& error) {
      fail("{}: {}", config_path.string(), error.what());
    }
  }();
  // PEFT key -> the adapter's f32 value, or a slot for a saved weight.
  std::map<std::string, Tensor> expected = saved_weight_slots(model, lora.saved_weights());
  for (const AdapterParameter& parameter : lora.parameters()) {
    expected.emplace(parameter.name, parameter.value);
  }
  read_adapter_tensors(weights_path, expected, [&](const std::string& key) {
    return unexpected_tensor(key, lora.config(), sites);
  });
  attach(lora);
  set_saved_weights(model, lora.saved_weights(), expected);
  residualise_loaded_lora(model, lora);
  return lora;
}

}  // namespace retune::adapters
