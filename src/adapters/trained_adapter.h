// TrainedAdapter: what training and the commands that take an adapter folder need of an adapter,
// whatever its method (LoRA and its relatives: adapters/lora_model.h; (IA)³: adapters/ia3_model.h;
// SSF: adapters/ssf_model.h; Poly and MHR: adapters/poly_model.h).
// A method's adapter is attached to a model (it shares the model's base weights and runs inside
// its linears, model/linear_adapter.h); the model must outlive it.
//
//   parameters()       the tensors the optimizer trains, named by their PEFT keys
//   saved_weights()    base weights trained in full beside it (PEFT's modules_to_save)
//   checkpoint_state() what a resumed run needs besides the parameters (LoRA: dropout offsets)
//   merged_weights()   PEFT's merge_and_unload, for export and weight interpolation
//   save()             its PEFT adapter folder
//
// load_adapter() reads any supported adapter folder onto a model, choosing the method by
// adapter_config.json's peft_type.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/adapter_parameter.h"
#include "io/safetensors_writer.h"
#include "model/causal_lm.h"

namespace retune::adapters {

class TrainedAdapter {
 public:
  virtual ~TrainedAdapter() = default;

  // Every trainable tensor of the adapter and its gradient (views of storage the adapter owns),
  // named by its PEFT key ("base_model.model.<module>.lora_A.weight", "...ia3_l"), in a fixed
  // order (module by module, in the model's order).
  virtual std::vector<AdapterParameter> parameters() const = 0;
  // The Hugging Face names of the base weights trained in full and saved with the adapter
  // (adapters/modules_to_save.h), in the model's order; the model holds their values.
  virtual const std::vector<std::string>& saved_weights() const = 0;

  // The state beyond the parameters that a resumed run restores to go on as an uninterrupted
  // run would (random streams), as a JSON object whose keys go into a checkpoint's run state;
  // empty when there is none.
  virtual nlohmann::json checkpoint_state() const { return nlohmann::json::object(); }
  // Restores it from `run` (a checkpoint's run state, or what checkpoint_state() returned); a
  // key that is absent leaves that state as it is.
  virtual void restore_checkpoint_state(const nlohmann::json& run) { (void)run; }

  // What PEFT's merge_and_unload gives: every base tensor the adapter changes
  // ("<module>.weight", and "<module>.bias" where merging scales a bias), f32 in the model's
  // stored layout (Conv1D [in, out]), new storage. The saved weights are not among them.
  virtual NamedTensors merged_weights() const = 0;
  // The config.json changes the merged weights need (a merge patch), when merging gives base
  // linears biases their config does not call for (SSF: {"attention_bias": true}); the merged
  // weights then include those biases, which the base model lacks. Empty for most methods.
  virtual nlohmann::json merged_config_changes() const { return nlohmann::json::object(); }

  // Writes the adapter's PEFT folder atomically (adapters/adapter_folder.h: an existing adapter
  // folder is replaced, one holding anything else refused); the saved weights are read from
  // `model` (the one the adapter is attached to); base_model_name_or_path goes into the config.
  virtual void save(model::CausalLm& model, const std::filesystem::path& folder,
                    const std::string& base_model_name_or_path) const = 0;
  // Moves the parameters and their gradients to `device` (the model's linears then run the
  // adapter there), where `model`, the one the adapter is attached to, has its weights already
  // (model::move_weights): the adapter's views of them follow.
  virtual void move_to(model::CausalLm& model, Device device) = 0;

 protected:
  TrainedAdapter() = default;
  TrainedAdapter(const TrainedAdapter&) = default;
  TrainedAdapter(TrainedAdapter&&) = default;
  TrainedAdapter& operator=(const TrainedAdapter&) = default;
  TrainedAdapter& operator=(TrainedAdapter&&) = default;
};

// The peft_type of `folder`'s adapter_config.json ("LORA", "IA3", or whatever it names); throws
// naming the file when it cannot be read or has no peft_type string.
std::string adapter_peft_type(const std::filesystem::path& folder);

// Reads the adapter folder and attaches it to `model`: peft_type "LORA" (adapters::load_lora),
// "IA3" (adapters::load_ia3), "SSF" (retune's own: adapters::load_ssf) or "POLY"
// (adapters::load_poly), whose errors name the file and field or tensor; any other type is refused,
// naming the file and the supported types. An error leaves the model as it was.
std::unique_ptr<TrainedAdapter> load_adapter(model::CausalLm& model,
                                             const std::filesystem::path& folder);

}  // namespace retune::adapters
