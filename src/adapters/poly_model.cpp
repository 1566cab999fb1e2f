#include "adapters/poly_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <utility>

#include "adapters/adapter_folder.h"
#include "adapters/modules_to_save.h"
#include "adapters/moved_sites.h"
#include "core/error.h"
#include "core/rng.h"
#include "io/file_contents.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using Form = ModuleSelector::Form;

constexpr const char* kOffsetsKey = "poly_sample_offsets";

void check_task_names(const std::vector<std::string>& names, int64_t n_tasks,
                      const std::string& where) {
  if (names.empty()) return;
  RETUNE_CHECK(static_cast<int64_t>(names.size()) == n_tasks,
               "{}: {} task names for n_tasks {}; name every task, in id order", where,
               names.size(), n_tasks);
  std::set<std::string> seen;
  for (const std::string& name : names) {
    RETUNE_CHECK(!name.empty() && seen.insert(name).second,
                 "{}: task names must be unique and non-empty, got \"{}\" twice or empty", where,
                 name);
  }
}

// The modules `config` puts on the model's sites, not yet attached, and the saved weights.
PolyModel make_poly(model::CausalLm& model, const std::vector<model::LinearSite>& sites,
                    const PolyConfig& config, uint64_t seed, std::vector<std::string> task_names) {
  check_task_names(task_names, config.shape.n_tasks, "poly tasks");
  PolyConfig resolved = config;
  auto routes = std::make_shared<PolyRoutes>();
  Rng rng(seed);
  std::vector<PolyModule> modules;
  std::vector<std::string> names;
  for (const model::LinearSite& site :
       resolve_poly_targets(config, model.config().architecture, sites)) {
    modules.push_back({site, std::make_shared<PolyLinear>(site.name, site.linear_weight(),
                                                          config.shape, rng.next_u64(), routes)});
    names.push_back(site.name);
  }
  if (resolved.target_modules.form == Form::none) {
    resolved.target_modules = {.form = Form::names};
    for (const std::string& name : names) {
      const std::string last = name.substr(name.rfind('.') + 1);
      auto& list = resolved.target_modules.names;
      if (std::find(list.begin(), list.end(), last) == list.end()) list.push_back(last);
    }
  }
  std::vector<std::string> saved = modules_to_save_weights(model, config.modules_to_save, names);
  return PolyModel(std::move(resolved), std::move(modules), std::move(saved), std::move(routes),
                   std::move(task_names));
}

void attach(const PolyModel& poly) {
  for (const PolyModule& module : poly.modules()) module.site.attach(module.poly);
}

std::vector<std::string> read_task_names(const fs::path& folder, int64_t n_tasks) {
  const fs::path file = folder / kPolyTasksFile;
  if (!fs::exists(file)) return {};
  const nlohmann::json document = read_json_file(file);
  RETUNE_CHECK(document.is_object() && document.contains("tasks") && document["tasks"].is_array(),
               "{}: expected {{\"tasks\": [name, ...]}}", file.string());
  std::vector<std::string> names;
  for (const nlohmann::json& name : document["tasks"]) {
    RETUNE_CHECK(name.is_string(), "{}: field \"tasks\" must hold strings, got {}", file.string(),
                 name.dump());
    names.push_back(name.get<std::string>());
  }
  check_task_names(names, n_tasks, file.string());
  return names;
}

}  // namespace

PolyModel::PolyModel(PolyConfig config, std::vector<PolyModule> modules,
                     std::vector<std::string> saved_weights, std::shared_ptr<PolyRoutes> routes,
                     std::vector<std::string> task_names)
    : config_(std::move(config)),
      modules_(std::move(modules)),
      saved_weights_(std::move(saved_weights)),
      routes_(std::move(routes)),
      task_names_(std::move(task_names)) {}

std::vector<AdapterParameter> PolyModel::parameters() const {
  std::vector<AdapterParameter> parameters;
  for (const PolyModule& module : modules_) {
    for (AdapterParameter& parameter : module.poly->parameters()) {
      if (router_only_ && parameter.name != "poly_router.module_logits") continue;
      parameter.name = peft_key(module.site.name, parameter.name);
      parameters.push_back(std::move(parameter));
    }
  }
  return parameters;
}

nlohmann::json PolyModel::checkpoint_state() const {
  std::vector<uint64_t> offsets;
  for (const PolyModule& module : modules_) offsets.push_back(module.poly->sample_offset());
  return {{kOffsetsKey, offsets}};
}

void PolyModel::restore_checkpoint_state(const nlohmann::json& run) {
  if (!run.contains(kOffsetsKey)) return;
  const auto offsets = run.at(kOffsetsKey).get<std::vector<uint64_t>>();
  RETUNE_CHECK(offsets.size() == modules_.size(),
               "the checkpoint has {} Poly sample offsets for {} modules: it was made by another "
               "config",
               offsets.size(), modules_.size());
  for (size_t i = 0; i < modules_.size(); ++i) modules_[i].poly->set_sample_offset(offsets[i]);
}

void PolyModel::move_to(model::CausalLm& model, Device device) {
  const MovedSites sites(model);
  for (PolyModule& module : modules_) {
    module.site = sites.at(module.site.name, "PolyModel::move_to");
    module.poly->move_to(device, module.site.linear_weight());
  }
}

NamedTensors PolyModel::merged_weights() const {
  RETUNE_CHECK(routes_->sequence_tasks.size() == 1,
               "a Poly adapter merges into the weights for one task: pass --task ID|NAME");
  const int32_t task = routes_->sequence_tasks.front();
  NamedTensors merged;
  for (const PolyModule& module : modules_) {
    const Tensor weight = module.poly->merged_weight(task);  // [O, I]
    merged.emplace_back(module.site.name + ".weight",
                        module.site.conv1d ? weight.transpose(0, 1).contiguous() : weight);
  }
  return merged;
}

void PolyModel::save(model::CausalLm& model, const fs::path& folder,
                     const std::string& base_model_name_or_path) const {
  NamedTensors tensors;
  for (const PolyModule& module : modules_) {
    for (const AdapterParameter& parameter : module.poly->parameters()) {
      tensors.emplace_back(peft_key(module.site.name, parameter.name), parameter.value);
    }
  }
  for (auto& entry : saved_weight_tensors(model, saved_weights_))
    tensors.push_back(std::move(entry));
  std::map<std::string, nlohmann::json> side_files;
  if (!task_names_.empty()) side_files[kPolyTasksFile] = {{"tasks", task_names_}};
  write_adapter_folder(folder, tensors, peft_poly_config(config_, base_model_name_or_path),
                       side_files);
}

int32_t PolyModel::task_id(const std::string& task, const std::string& what) const {
  const auto named = std::find(task_names_.begin(), task_names_.end(), task);
  if (named != task_names_.end()) return static_cast<int32_t>(named - task_names_.begin());
  int64_t id = -1;
  const auto [end, error] = std::from_chars(task.data(), task.data() + task.size(), id);
  if (error == std::errc() && end == task.data() + task.size()) {
    RETUNE_CHECK(id >= 0 && id < n_tasks(),
                 "{}: task id {} is out of range: the Poly adapter has n_tasks {} (ids 0 to {})",
                 what, id, n_tasks(), n_tasks() - 1);
    return static_cast<int32_t>(id);
  }
  fail("{}: unknown task \"{}\" (the Poly adapter's tasks: {})", what, task,
       task_names_.empty() ? fmt::format("ids 0 to {}, no names", n_tasks() - 1)
                           : fmt::format("{}", fmt::join(task_names_, ", ")));
}

void PolyModel::route(std::vector<int32_t> sequence_tasks) {
  for (int32_t task : sequence_tasks) {
    RETUNE_CHECK(task >= 0 && task < n_tasks(),
                 "task id {} is out of range: the Poly adapter has n_tasks {}", task, n_tasks());
  }
  routes_->sequence_tasks = std::move(sequence_tasks);
}

void PolyModel::train_router_only() {
  router_only_ = true;
  for (const PolyModule& module : modules_) module.poly->train_skills(false);
}

void PolyModel::add_tasks(int64_t n_tasks, uint64_t seed, std::vector<std::string> task_names) {
  RETUNE_CHECK(n_tasks >= config_.shape.n_tasks,
               "poly.n_tasks {} is below the adapter's n_tasks {}: tasks can be added, not removed",
               n_tasks, config_.shape.n_tasks);
  if (task_names.empty() && !task_names_.empty() && n_tasks == config_.shape.n_tasks) {
    task_names = task_names_;
  }
  check_task_names(task_names, n_tasks, "poly.tasks");
  Rng rng(seed);
  for (const PolyModule& module : modules_) module.poly->add_tasks(n_tasks, rng.next_u64());
  config_.shape.n_tasks = n_tasks;
  task_names_ = std::move(task_names);
}

void PolyModel::sample_routing(bool on) {
  for (const PolyModule& module : modules_) module.poly->sample_routing(on);
}

PolyModel attach_poly(model::CausalLm& model, const PolyConfig& config, uint64_t seed,
                      std::vector<std::string> task_names) {
  PolyModel poly = make_poly(model, model.linear_sites(), config, seed, std::move(task_names));
  attach(poly);
  untie_saved_head(model, poly.saved_weights());
  return poly;
}

PolyModel load_poly(model::CausalLm& model, const fs::path& folder) {
  const fs::path config_path = folder / kAdapterConfigFile;
  const fs::path weights_path = adapter_weights_file(folder);
  const PolyConfig config = read_poly_config(config_path);
  const std::vector<std::string> names = read_task_names(folder, config.shape.n_tasks);
  const std::vector<model::LinearSite> sites = model.linear_sites();
  PolyModel poly = [&] {
    try {
      return make_poly(model, sites, config, 0, names);
    } catch (const Error& error) {
      fail("{}: {}", config_path.string(), error.what());
    }
  }();
  std::map<std::string, Tensor> expected = saved_weight_slots(model, poly.saved_weights());
  for (const AdapterParameter& parameter : poly.parameters()) {
    expected.emplace(parameter.name, parameter.value);
  }
  read_adapter_tensors(weights_path, expected, [&](const std::string& key) {
    return fmt::format(
        "tensor \"{}\" is not a Poly tensor of this adapter (expected base_model.model.<module>."
        "poly_lora_A, .poly_lora_B or .poly_router.module_logits for the modules "
        "adapter_config.json targets, or a weight modules_to_save selects)",
        key);
  });
  attach(poly);
  set_saved_weights(model, poly.saved_weights(), expected);
  return poly;
}

}  // namespace retune::adapters
