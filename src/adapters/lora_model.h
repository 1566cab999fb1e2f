// LoraModel: the LoRA modules one LoraConfig attaches to a model, by module name, and the PEFT
// adapter folders that save and load them (adapter_config.json + adapter_model.safetensors, as
// PEFT 0.21's save_pretrained writes them and PeftModel.from_pretrained reads them).
//
// Tensor keys (PEFT utils/save_and_load.py get_peft_model_state_dict, adapter name removed):
//   base_model.model.<module>.lora_A.weight         [r, in]   (Conv1D too: nn.Linear's layout)
//   base_model.model.<module>.lora_B.weight         [out, r]
//   base_model.model.<module>.lora_magnitude_vector [out]     (DoRA; no ".weight")
//   base_model.model.<weight name>                  the weight  (modules_to_save, as stored)
// with <module> the Hugging Face module name ("model.layers.0.self_attn.q_proj"). Saved f32,
// header metadata {"format": "pt"}; loaded from any float dtype.
//
// LoraModel is the LoRA family's TrainedAdapter (adapters/trained_adapter.h).
//
// Ownership: the model and the LoraModel share each LoraLinear (the model runs it, the
// LoraModel names, trains and saves it) and the base weights (LoraModule::site.weight views
// them). Attaching replaces whatever adapter a module had.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/adapter_parameter.h"
#include "adapters/lora_config.h"
#include "adapters/lora_linear.h"
#include "adapters/trained_adapter.h"
#include "io/safetensors_writer.h"
#include "model/causal_lm.h"

namespace retune::adapters {

struct LoraModule {
  model::LinearSite site;  // name "model.layers.0.self_attn.q_proj", weight as stored, ...
  std::shared_ptr<LoraLinear> lora;
  // Set when the initialisation residualised the base weight (PiSSA, OLoRA, CorDA, LoRA-GA:
  // adapters/lora_start.h): the starting A0 [r, I] and B0 [O, r]. The model then computes with
  // W - s B0 A0, while site.weight still views the original W.
  Tensor start_a, start_b;
};

class LoraModel final : public TrainedAdapter {
 public:
  LoraModel(LoraConfig config, std::vector<LoraModule> modules,
            std::vector<std::string> saved_weights)
      : config_(std::move(config)),
        modules_(std::move(modules)),
        saved_weights_(std::move(saved_weights)) {}

  // The config as PEFT saves it after attaching: target_modules the full names of the adapted
  // modules, fan_in_fan_out true when they are Conv1D.
  const LoraConfig& config() const { return config_; }
  // In the model's order.
  const std::vector<LoraModule>& modules() const { return modules_; }
  // The names of the base weights config().modules_to_save trains in full and saves with the
  // adapter (adapters/modules_to_save.h), in the model's order; the model holds their values.
  const std::vector<std::string>& saved_weights() const override { return saved_weights_; }

  // Every trainable tensor of the LoRA modules and its gradient (views), named by its PEFT key,
  // module by module (the saved weights train as base weights: model/trainable_weights.h).
  std::vector<AdapterParameter> parameters() const override;
  void move_to(model::CausalLm& model, Device device) override;
  void zero_grad();
  // Every module's next dropout offset (LoraLinear::dropout_offset), in module order, to save
  // with a checkpoint and restore on resume.
  std::vector<uint64_t> dropout_offsets() const;
  void set_dropout_offsets(const std::vector<uint64_t>& offsets);
  // {"dropout_offsets": dropout_offsets()}, and back.
  nlohmann::json checkpoint_state() const override;
  void restore_checkpoint_state(const nlohmann::json& run) override;

  // What PEFT's merge_and_unload gives: "<module>.weight" = W + ΔW for every module, f32 in the
  // model's stored layout (Conv1D [in, out]), new storage; W is the residual W - s B0 A0 for a
  // residualised module.
  NamedTensors merged_weights() const override;

  // Records module i's starting A0 and B0 (adapters/lora_start.h).
  void set_residual_start(size_t module, Tensor a, Tensor b);
  bool residualised() const;
  // The adapter as it is saved: a residualised adapter converted to a plain LoRA against the
  // original weights (PEFT's path_initial_model_for_weight_conversion), of rank 2r:
  // A' = [A; A0], B' = [B, -B0], so s' B' A' = s (B A - B0 A0) with s' = s: r and every
  // rank_pattern value doubled, lora_alpha and alpha_pattern doubled (times sqrt(2) with
  // use_rslora; PEFT doubles alpha_pattern there too, which changes those modules' scaling).
  // init_lora_weights is saved as true. Other adapters are saved as they are.
  LoraConfig saved_config() const;
  NamedTensors saved_parameters() const;

  // save_lora(*this, ...).
  void save(model::CausalLm& model, const std::filesystem::path& folder,
            const std::string& base_model_name_or_path) const override;

 private:
  LoraConfig config_;
  std::vector<LoraModule> modules_;
  std::vector<std::string> saved_weights_;
};

// Attaches a new LoRA, initialised as `config` says, to every module `config` selects
// (adapters/lora_targets.h, which lists the errors), and unties a tied head that
// modules_to_save names. Each module's init and dropout seeds are the next two draws of
// Rng(seed), module by module in the model's order.
LoraModel attach_lora(model::CausalLm& model, const LoraConfig& config, uint64_t seed);

// Writes `folder` atomically (io/atomic_folder.h): an existing adapter folder is replaced whole,
// a folder holding anything else is refused. base_model_name_or_path goes into the config;
// the saved weights are read from `model` (the one `lora` is attached to) and written f32.
void save_lora(const LoraModel& lora, model::CausalLm& model, const std::filesystem::path& folder,
               const std::string& base_model_name_or_path);

// Reads `folder`'s adapter_config.json and adapter_model.safetensors and attaches the adapter to
// `model` (only when both are valid: an error leaves the model as it was). Throws an Error naming
// the file and field or tensor: a module the config targets that the model lacks, a tensor for a
// module the model lacks or the config does not target, a tensor that is not a LoRA tensor or a
// weight modules_to_save selects, one of the wrong shape or dtype, a missing one. The saved
// weights replace the model's (f32).
LoraModel load_lora(model::CausalLm& model, const std::filesystem::path& folder);

}  // namespace retune::adapters
