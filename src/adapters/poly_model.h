// PolyModel: the Poly / MHR modules one PolyConfig attaches to a model (adapters/poly_linear.h),
// the routes that give each sequence its task, and their PEFT adapter folders
// (adapter_config.json + adapter_model.safetensors as PEFT 0.21's save_pretrained writes them
// and PeftModel.from_pretrained reads them). It is Poly's TrainedAdapter.
//
// Tensor keys (PEFT's get_peft_model_state_dict, adapter name removed), saved f32:
//   base_model.model.<module>.poly_lora_A                 [n_splits, n_skills, in/n_splits, r]
//   base_model.model.<module>.poly_lora_B                 [n_splits, n_skills, r, out/n_splits]
//   base_model.model.<module>.poly_router.module_logits   [n_tasks, n_splits * n_skills]
//   base_model.model.<weight name>                        modules_to_save, as stored
// Beside them, when the adapter has task names, poly_tasks.json {"tasks": [name, ...]} (names in
// id order; PEFT ignores the file).
//
// Tasks: route() sets the task of each sequence of the rows the next forward runs on
// (PolyRoutes); route_all() one task for whatever rows come. Task ids are integers in
// [0, n_tasks); task_id() also takes a name of task_names().
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/poly_config.h"
#include "adapters/poly_linear.h"
#include "adapters/trained_adapter.h"
#include "model/causal_lm.h"

namespace retune::adapters {

struct PolyModule {
  model::LinearSite site;
  std::shared_ptr<PolyLinear> poly;
};

class PolyModel final : public TrainedAdapter {
 public:
  PolyModel(PolyConfig config, std::vector<PolyModule> modules,
            std::vector<std::string> saved_weights, std::shared_ptr<PolyRoutes> routes,
            std::vector<std::string> task_names);

  // The config as it is saved (the architecture's default targets filled in).
  const PolyConfig& config() const { return config_; }
  const std::vector<PolyModule>& modules() const { return modules_; }
  const std::vector<std::string>& saved_weights() const override { return saved_weights_; }
  const std::vector<std::string>& task_names() const { return task_names_; }
  int64_t n_tasks() const { return config_.shape.n_tasks; }

  // Every module's A, B and router logits (only the logits after train_router_only()).
  std::vector<AdapterParameter> parameters() const override;
  // {"poly_sample_offsets": [each module's sample offset]}, and back.
  nlohmann::json checkpoint_state() const override;
  void restore_checkpoint_state(const nlohmann::json& run) override;
  // W + A_t B_t / r with eval routing for the task route_all() set, for every module; an Error
  // naming --task without one.
  NamedTensors merged_weights() const override;
  // Moves every module's parameters there, its view of the model's weight following it.
  void move_to(model::CausalLm& model, Device device) override;
  void save(model::CausalLm& model, const std::filesystem::path& folder,
            const std::string& base_model_name_or_path) const override;

  // The id of `task`: an integer below n_tasks ("2") or one of task_names(); an Error naming
  // `what` (a file:line, "--task") otherwise.
  int32_t task_id(const std::string& task, const std::string& what) const;
  void route(std::vector<int32_t> sequence_tasks);
  void route_all(int32_t task) { route({task}); }
  void clear_routes() { routes_->sequence_tasks.clear(); }

  // MHR-z: only the router logits train; the skills stay frozen.
  void train_router_only();
  // Grows every router to `n_tasks` rows (PEFT's router init for the new ones, each module's
  // draws from the next value of Rng(seed)) and takes `task_names` (empty: keeps its own).
  void add_tasks(int64_t n_tasks, uint64_t seed, std::vector<std::string> task_names);
  // Training routes by RelaxedBernoulli samples (the default) or, off, by sigmoid as at eval.
  void sample_routing(bool on);

 private:
  PolyConfig config_;
  std::vector<PolyModule> modules_;
  std::vector<std::string> saved_weights_;
  std::shared_ptr<PolyRoutes> routes_;
  std::vector<std::string> task_names_;
  bool router_only_ = false;
};

// Attaches new Poly modules to every module `config` selects (PEFT's init; each module's seed
// the next draw of Rng(seed)), with `task_names` (empty, or n_tasks names in id order, unique).
PolyModel attach_poly(model::CausalLm& model, const PolyConfig& config, uint64_t seed,
                      std::vector<std::string> task_names);

// Reads `folder`'s adapter_config.json, adapter_model.safetensors and poly_tasks.json (if
// there) and attaches the adapter to `model` (only when all are valid). Errors name the file
// and the field or tensor: a module the model lacks, an unexpected, missing or misshapen tensor,
// task names that are not n_tasks unique strings.
PolyModel load_poly(model::CausalLm& model, const std::filesystem::path& folder);

}  // namespace retune::adapters
