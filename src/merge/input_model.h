// InputModel: one model a merge reads, tensor by tensor: a Hugging Face model folder's
// safetensors (mmapped; io/safetensors_model.h) and config.json, with a PEFT LoRA/DoRA adapter
// merged in where the reference names one (`model+adapter`: W + ΔW for each adapted module, as
// PEFT's merge_and_unload gives, computed when the tensor is read; modules_to_save replace
// their weights).
//
// Reading is thread-safe. Only the tensor being read is converted (f32, new storage), and the
// file pages under it are released afterwards (madvise), so resident memory stays a few
// tensors whatever the models' size; the adapter's base model is loaded whole
// (model/causal_lm.h) to attach the adapter.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/shape.h"
#include "io/safetensors_model.h"
#include "merge/merge_config.h"

namespace retune::adapters {
class LoraModel;
}
namespace retune::model {
class CausalLm;
}

namespace retune::merge {

class InputModel {
 public:
  // Throws an Error naming the folder (missing, no config.json, no safetensors) or the adapter.
  explicit InputModel(const ModelReference& reference);
  ~InputModel();
  InputModel(const InputModel&) = delete;
  InputModel& operator=(const InputModel&) = delete;

  const ModelReference& reference() const { return reference_; }
  // "../models/a" (the reference as written).
  const std::string& label() const { return reference_.text; }
  const std::filesystem::path& folder() const { return reference_.model; }
  const nlohmann::json& config() const { return config_; }
  // config.json's architectures[0] (or model_type when it has none).
  const std::string& architecture() const { return architecture_; }
  // num_hidden_layers (n_layer for GPT-2).
  int64_t num_layers() const { return num_layers_; }

  // Sorted.
  const std::vector<std::string>& names() const { return weights_.names(); }
  bool has(const std::string& name) const { return weights_.has(name); }
  Shape shape(const std::string& name) const;
  // The dtype the file stores it in (an adapted weight keeps its base weight's).
  DType dtype(const std::string& name) const;
  // The tensor's values as f32, rounded through `as` first when given (mergekit's dtype).
  std::vector<float> read(const std::string& name, std::optional<DType> as) const;

 private:
  ModelReference reference_;
  nlohmann::json config_;
  std::string architecture_;
  int64_t num_layers_ = 0;
  SafetensorsModel weights_;
  // With an adapter: the model it is attached to, its LoRA modules by weight name, and the
  // weights modules_to_save replaced.
  std::unique_ptr<model::CausalLm> model_;
  std::unique_ptr<adapters::LoraModel> lora_;
  std::map<std::string, size_t> adapted_;  // "<module>.weight" -> index into lora_->modules()
  std::map<std::string, Tensor> saved_;
};

}  // namespace retune::merge
