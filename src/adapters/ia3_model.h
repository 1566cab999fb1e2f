// Ia3Model: the (IA)³ modules one Ia3Config attaches to a model, by module name, and their PEFT
// adapter folders (adapter_config.json + adapter_model.safetensors, as PEFT 0.21's
// save_pretrained writes them and PeftModel.from_pretrained reads them). It is (IA)³'s
// TrainedAdapter (adapters/trained_adapter.h).
//
// Tensor keys (PEFT utils/save_and_load.py get_peft_model_state_dict, adapter name removed):
//   base_model.model.<module>.ia3_l   [out, 1] output-scaled, [1, in] feed-forward (input-scaled)
//                                     (Conv1D too: the same shapes by in / out features)
//   base_model.model.<weight name>    the weight (modules_to_save, as stored)
// with <module> the Hugging Face module name ("model.layers.0.self_attn.k_proj"). Saved f32,
// header metadata {"format": "pt"}; loaded from any float dtype.
//
// Ownership: the model and the Ia3Model share each Ia3Linear (the model runs it, the Ia3Model
// names, trains and saves it) and the base weights and biases (Ia3Module::site views them).
// Attaching replaces whatever adapter a module had.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/ia3_config.h"
#include "adapters/ia3_linear.h"
#include "adapters/trained_adapter.h"
#include "model/causal_lm.h"

namespace retune::adapters {

struct Ia3Module {
  model::LinearSite site;  // name "model.layers.0.mlp.down_proj", weight and bias as stored, ...
  std::shared_ptr<Ia3Linear> ia3;
};

class Ia3Model final : public TrainedAdapter {
 public:
  Ia3Model(Ia3Config config, std::vector<Ia3Module> modules, std::vector<std::string> saved_weights)
      : config_(std::move(config)),
        modules_(std::move(modules)),
        saved_weights_(std::move(saved_weights)) {}

  // The config as it is saved: the architecture's defaults filled in, fan_in_fan_out true when
  // the modules are Conv1D, and "all-linear" resolved as PEFT resolves it (the full names of
  // every linear but the head), with a feedforward_modules list then given as the full names of
  // the feed-forward targets, so that it stays a subset of target_modules (which PEFT checks
  // when it loads the folder).
  const Ia3Config& config() const { return config_; }
  // In the model's order.
  const std::vector<Ia3Module>& modules() const { return modules_; }
  const std::vector<std::string>& saved_weights() const override { return saved_weights_; }

  // Every module's ia3_l and its gradient, named by its PEFT key.
  std::vector<AdapterParameter> parameters() const override;
  // PEFT's merge_and_unload: "<module>.weight" for every module, and "<module>.bias" for an
  // output-scaled module with a bias.
  NamedTensors merged_weights() const override;
  // Moves every module's l there, its views of the model's weights and biases following them.
  void move_to(model::CausalLm& model, Device device) override;
  void save(model::CausalLm& model, const std::filesystem::path& folder,
            const std::string& base_model_name_or_path) const override;

 private:
  Ia3Config config_;
  std::vector<Ia3Module> modules_;
  std::vector<std::string> saved_weights_;
};

// Attaches new (IA)³ vectors (all ones) to every module `config` selects, with the model's
// architecture's defaults for an unset target_modules / feedforward_modules
// (adapters/ia3_targets.h, which lists the errors), and unties a tied head that
// modules_to_save names.
Ia3Model attach_ia3(model::CausalLm& model, const Ia3Config& config);

// Reads `folder`'s adapter_config.json and adapter_model.safetensors and attaches the adapter to
// `model` (only when both are valid: an error leaves the model as it was). Throws an Error
// naming the file and field or tensor: a module the config targets that the model lacks, a
// tensor for a module the model lacks or the config does not target, a tensor that is not an
// ia3_l or a weight modules_to_save selects, one of the wrong shape or dtype, a missing one.
// The saved weights replace the model's (f32).
Ia3Model load_ia3(model::CausalLm& model, const std::filesystem::path& folder);

}  // namespace retune::adapters
