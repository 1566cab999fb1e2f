#include "adapters/ssf_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "adapters/adapter_folder.h"
#include "adapters/moved_sites.h"
#include "adapters/ssf_targets.h"
#include "core/error.h"
#include "core/rng.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPrefix = "base_model.model.";
constexpr const char* kScale = "ssf_scale";
constexpr const char* kShift = "ssf_shift";

// Whether a linear has, or its architecture can give it, a bias to merge a shift into.
bool has_bias_slot(const model::LinearSite& site) {
  return site.bias.defined() || !site.bias_flag.empty();
}

const model::LinearSite& site_named(const std::vector<model::LinearSite>& sites,
                                    const std::string& name) {
  const auto found = std::find_if(sites.begin(), sites.end(),
                                  [&](const model::LinearSite& site) { return site.name == name; });
  RETUNE_CHECK(found != sites.end(), "SSF: the model has no linear {}", name);
  return *found;
}

// Why the shift of `name` cannot merge into `site`'s bias, for the refusal.
std::string no_slot(const std::string& name, const model::LinearSite& site,
                    model::Architecture architecture) {
  return fmt::format(
      "{}: its SSF shift cannot merge: it needs a bias in {}, which {} does not have (set "
      "ssf.unmergeable_shifts false to train such adapters without it, or use this one unmerged "
      "with --adapter)",
      name, site.name, model::architecture_name(architecture));
}

// The SSF modules `config` puts on the model, not yet attached.
SsfModel make_ssf(model::CausalLm& model, const SsfConfig& config, uint64_t seed) {
  std::vector<model::LinearSite> sites = model.linear_sites();
  const std::vector<model::NormSite> all_norms = model.norm_sites();
  const std::vector<std::string> targets = resolve_ssf_targets(config, sites, all_norms);
  const std::set<std::string> targeted(targets.begin(), targets.end());
  const model::Architecture architecture = model.config().architecture;
  std::map<std::string, std::string> unmergeable;  // module -> why its shift cannot merge
  std::map<std::string, std::shared_ptr<SsfPair>> pairs;
  const auto make_pair = [&](const std::string& name, int64_t width, bool shift) {
    const uint64_t stream = mix64(seed) + 2 * pairs.size();
    pairs[name] = SsfPair::make(width, shift, config.init_std, stream);
  };
  // The norms and, for each linear that reads one, the norm it reads.
  std::vector<model::NormSite> norms;
  std::map<std::string, const model::NormSite*> read_norm;
  for (const model::NormSite& norm : all_norms) {
    if (!targeted.contains(norm.name)) continue;
    norms.push_back(norm);
    bool mergeable = norm.bias.defined();
    const model::LinearSite* missing = nullptr;
    for (const std::string& consumer : norm.consumers) {
      const model::LinearSite& site = site_named(sites, consumer);
      if (!has_bias_slot(site) && !missing) missing = &site;
    }
    mergeable = mergeable || !missing;
    if (!mergeable) unmergeable[norm.name] = no_slot(norm.name, *missing, architecture);
    make_pair(norm.name, norm.weight.size(0), mergeable || config.unmergeable_shifts);
  }
  for (const model::NormSite& norm : norms) {
    for (const std::string& consumer : norm.consumers) read_norm[consumer] = &norm;
  }
  std::vector<SsfLinearSlot> linears;
  for (const model::LinearSite& site : sites) {
    std::shared_ptr<SsfPair> output;
    if (targeted.contains(site.name)) {
      const bool mergeable = has_bias_slot(site);
      if (!mergeable) unmergeable[site.name] = no_slot(site.name, site, architecture);
      make_pair(site.name, site.out_features(), mergeable || config.unmergeable_shifts);
      output = pairs[site.name];
    }
    const auto norm = read_norm.find(site.name);
    std::shared_ptr<SsfPair> input = norm == read_norm.end() ? nullptr : pairs[norm->second->name];
    if (!output && !input) continue;
    linears.push_back({site,
                       std::make_shared<SsfLinear>(site.linear_weight(), site.bias, output, input),
                       input && input->shift.defined() && !norm->second->bias.defined()});
  }
  std::vector<SsfModule> modules;
  std::string refusal;  // the first module's, in the model's order, whose shift exists
  for (const std::string& name : targets) {
    modules.push_back({name, pairs.at(name)});
    if (refusal.empty() && config.unmergeable_shifts && unmergeable.contains(name)) {
      refusal = unmergeable.at(name);
    }
  }
  std::vector<std::shared_ptr<SsfPair>> norm_pairs;
  for (const model::NormSite& norm : norms) norm_pairs.push_back(pairs.at(norm.name));
  SsfConfig resolved = config;
  resolved.target_modules = {.form = ModuleSelector::Form::names, .names = targets};
  return SsfModel(std::move(resolved), std::move(modules), std::move(linears),
                  {std::move(norms), std::move(norm_pairs)}, std::move(sites), std::move(refusal));
}

void attach(const SsfModel& ssf) {
  for (const SsfLinearSlot& slot : ssf.linears()) slot.site.attach(slot.ssf);
}

// Whether merging changes the linear's bias (or gives it one).
bool merges_bias(const SsfLinearSlot& slot) {
  const std::shared_ptr<SsfPair>& output = slot.ssf->output();
  return (output && (slot.site.bias.defined() || output->shift.defined())) ||
         slot.input_shift_in_bias;
}

// Why `key` is not one of the adapter's tensors, for the message naming the file.
std::string unexpected_tensor(const std::string& key, const std::vector<std::string>& modules) {
  const std::string prefix = kPrefix;
  const auto dot = key.rfind('.');
  const std::string suffix = dot == std::string::npos ? "" : key.substr(dot + 1);
  if (!key.starts_with(prefix) || (suffix != kScale && suffix != kShift)) {
    return fmt::format(
        "tensor \"{}\" is not an SSF tensor (expected {}<module>.{} or {}<module>.{})", key, prefix,
        kScale, prefix, kShift);
  }
  const std::string module = key.substr(prefix.size(), dot - prefix.size());
  if (std::find(modules.begin(), modules.end(), module) == modules.end()) {
    return fmt::format(
        "tensor \"{}\": the model has no module \"{}\" SSF can adapt, or adapter_config.json does "
        "not target it",
        key, module);
  }
  return fmt::format(
      "tensor \"{}\": module \"{}\" has no shift (unmergeable_shifts false creates none where "
      "no bias can hold it)",
      key, module);
}

}  // namespace

SsfModel::SsfModel(SsfConfig config, std::vector<SsfModule> modules,
                   std::vector<SsfLinearSlot> linears, SsfNorms norms,
                   std::vector<model::LinearSite> sites, std::string unmergeable)
    : config_(std::move(config)),
      modules_(std::move(modules)),
      linears_(std::move(linears)),
      norms_(std::move(norms.sites)),
      norm_pairs_(std::move(norms.pairs)),
      sites_(std::move(sites)),
      unmergeable_(std::move(unmergeable)) {}

std::vector<AdapterParameter> SsfModel::parameters() const {
  std::vector<AdapterParameter> parameters;
  for (const SsfModule& module : modules_) {
    parameters.push_back(
        {peft_key(module.name, kScale), module.pair->scale, module.pair->scale_grad});
    if (module.pair->shift.defined()) {
      parameters.push_back(
          {peft_key(module.name, kShift), module.pair->shift, module.pair->shift_grad});
    }
  }
  return parameters;
}

void SsfModel::move_to(model::CausalLm& model, Device device) {
  for (const SsfModule& module : modules_) module.pair->move_to(device);  // each pair once
  const MovedSites sites(model);
  for (SsfLinearSlot& slot : linears_) {
    slot.site = sites.at(slot.site.name, "SsfModel::move_to");
    slot.ssf->move_to(device, slot.site.linear_weight(), slot.site.bias);
  }
  for (model::LinearSite& site : sites_) site = sites.at(site.name, "SsfModel::move_to");
  for (const model::NormSite& norm : model.norm_sites()) {
    for (model::NormSite& targeted : norms_) {
      if (targeted.name == norm.name) targeted = norm;
    }
  }
}

NamedTensors SsfModel::merged_weights() const {
  if (!unmergeable_.empty()) fail("{}", unmergeable_);
  const json flags = merged_config_changes();
  NamedTensors merged;
  for (const SsfLinearSlot& slot : linears_) {
    const model::LinearSite& site = slot.site;
    if (slot.ssf->output()) {
      const Tensor weight = slot.ssf->merged_weight();  // [O, I]
      merged.emplace_back(site.name + ".weight",
                          site.conv1d ? weight.transpose(0, 1).contiguous() : weight);
    }
    if (merges_bias(slot)) {
      merged.emplace_back(site.name + ".bias", slot.ssf->merged_bias(slot.input_shift_in_bias));
    }
  }
  // A flag turned on calls for a bias on every linear it covers: zeros where nothing merged.
  for (const model::LinearSite& site : sites_) {
    const bool merged_bias = std::any_of(linears_.begin(), linears_.end(), [&](const auto& slot) {
      return slot.site.name == site.name && merges_bias(slot);
    });
    if (!site.bias.defined() && !merged_bias && flags.contains(site.bias_flag)) {
      merged.emplace_back(site.name + ".bias", Tensor::zeros({site.out_features()}, DType::f32));
    }
  }
  for (size_t n = 0; n < norms_.size(); ++n) {
    const model::NormSite& norm = norms_[n];
    const SsfPair& pair = *norm_pairs_[n];
    const std::vector<float> scale = pair.scale.to_f32_vector();
    std::vector<float> weight = norm.weight.to_f32_vector();
    for (size_t c = 0; c < weight.size(); ++c) weight[c] *= scale[c];
    merged.emplace_back(norm.name + ".weight",
                        Tensor::from_vector<float>(norm.weight.shape(), DType::f32, weight));
    if (!norm.bias.defined()) continue;
    std::vector<float> bias = norm.bias.to_f32_vector();
    const std::vector<float> shift =
        pair.shift.defined() ? pair.shift.to_f32_vector() : std::vector<float>(bias.size(), 0.0f);
    for (size_t c = 0; c < bias.size(); ++c) bias[c] = bias[c] * scale[c] + shift[c];
    merged.emplace_back(norm.name + ".bias",
                        Tensor::from_vector<float>(norm.bias.shape(), DType::f32, bias));
  }
  return merged;
}

json SsfModel::merged_config_changes() const {
  json changes = json::object();
  for (const SsfLinearSlot& slot : linears_) {
    if (!slot.site.bias.defined() && merges_bias(slot)) changes[slot.site.bias_flag] = true;
  }
  return changes;
}

void SsfModel::save(model::CausalLm& model, const fs::path& folder,
                    const std::string& base_model_name_or_path) const {
  (void)model;
  NamedTensors tensors;
  for (const AdapterParameter& parameter : parameters()) {
    tensors.emplace_back(parameter.name, parameter.value);
  }
  write_adapter_folder(folder, tensors, ssf_config_json(config_, base_model_name_or_path));
}

SsfModel attach_ssf(model::CausalLm& model, const SsfConfig& config, uint64_t seed) {
  SsfModel ssf = make_ssf(model, config, seed);
  attach(ssf);
  return ssf;
}

SsfModel load_ssf(model::CausalLm& model, const fs::path& folder) {
  const fs::path config_path = folder / kAdapterConfigFile;
  const fs::path weights_path = adapter_weights_file(folder);
  const SsfConfig config = read_ssf_config(config_path);
  SsfModel ssf = [&] {
    try {
      return make_ssf(model, config, 0);
    } catch (const Error& error) {
      fail("{}: {}", config_path.string(), error.what());
    }
  }();
  std::map<std::string, Tensor> expected;
  for (const AdapterParameter& parameter : ssf.parameters()) {
    expected.emplace(parameter.name, parameter.value);
  }
  std::vector<std::string> targets;
  for (const SsfModule& module : ssf.modules()) targets.push_back(module.name);
  read_adapter_tensors(weights_path, expected,
                       [&](const std::string& key) { return unexpected_tensor(key, targets); });
  attach(ssf);
  return ssf;
}

}  // namespace retune::adapters
