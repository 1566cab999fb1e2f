#include "merge/input_model.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "adapters/lora_model.h"
#include "core/error.h"
#include "io/file_contents.h"
#include "model/causal_lm.h"
#include "model/trainable_weights.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;

SafetensorsModel open_weights(const ModelReference& reference) {
  RETUNE_CHECK(fs::is_directory(reference.model), "{}: model folder not found (from \"{}\")",
               reference.model.string(), reference.text);
  return SafetensorsModel::open(reference.model);
}

std::vector<float> rounded(const Tensor& tensor, std::optional<DType> as) {
  if (as && *as != DType::f32 && tensor.dtype() != *as) return tensor.to(*as).to_f32_vector();
  return tensor.to_f32_vector();
}

// Drops the file pages under a mapped tensor once it has been copied, so that a merge's
// resident memory stays a few tensors however large the inputs (a later read faults them back).
void release_pages(const Tensor& mapped) {
  const auto* begin = mapped.dtype() == DType::f32
                          ? reinterpret_cast<const std::byte*>(mapped.data<float>())
                          : reinterpret_cast<const std::byte*>(mapped.data<uint16_t>());
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = reinterpret_cast<uintptr_t>(begin) / page * page;
  const uintptr_t end = reinterpret_cast<uintptr_t>(begin) + mapped.nbytes();
  ::madvise(reinterpret_cast<void*>(first), end - first, MADV_DONTNEED);
}

// The mapped tensor's values, rounded through `as`, its pages released.
std::vector<float> read_mapped(const Tensor& mapped, std::optional<DType> as) {
  std::vector<float> values = rounded(mapped, as);
  if (mapped.nbytes() > 0 && dtype_is_float(mapped.dtype())) release_pages(mapped);
  return values;
}

}  // namespace

InputModel::InputModel(const ModelReference& reference)
    : reference_(reference), weights_(open_weights(reference)) {
  config_ = read_json_file(reference.model / "config.json");
  const std::string where = (reference.model / "config.json").string();
  if (config_.contains("architectures") && config_["architectures"].is_array() &&
      !config_["architectures"].empty() && config_["architectures"][0].is_string()) {
    architecture_ = config_["architectures"][0].get<std::string>();
  } else if (config_.contains("model_type") && config_["model_type"].is_string()) {
    architecture_ = config_["model_type"].get<std::string>();
  } else {
    fail("{}: names no architectures or model_type", where);
  }
  for (const char* key : {"num_hidden_layers", "n_layer"}) {
    if (config_.contains(key) && config_[key].is_number_integer()) {
      num_layers_ = config_[key].get<int64_t>();
      break;
    }
  }
  RETUNE_CHECK(num_layers_ > 0, "{}: no num_hidden_layers (or n_layer) > 0", where);
  if (reference.adapter.empty()) return;

  RETUNE_CHECK(fs::is_directory(reference.adapter), "{}: adapter folder not found (from \"{}\")",
               reference.adapter.string(), reference.text);
  model_ = model::load_causal_lm(reference.model);
  lora_ = std::make_unique<adapters::LoraModel>(adapters::load_lora(*model_, reference.adapter));
  for (size_t i = 0; i < lora_->modules().size(); ++i) {
    adapted_.emplace(lora_->modules()[i].site.name + ".weight", i);
  }
  const std::vector<std::string>& saved = lora_->saved_weights();
  for (auto& [name, weight] : model::named_weights(*model_)) {
    if (std::find(saved.begin(), saved.end(), name) != saved.end()) saved_.emplace(name, weight);
  }
}

InputModel::~InputModel() = default;

Shape InputModel::shape(const std::string& name) const {
  return weights_.info(name).shape;
}

DType InputModel::dtype(const std::string& name) const {
  return weights_.info(name).dtype;
}

std::vector<float> InputModel::read(const std::string& name, std::optional<DType> as) const {
  if (const auto saved = saved_.find(name); saved != saved_.end()) {
    return rounded(saved->second, as);
  }
  const auto adapted = adapted_.find(name);
  if (adapted == adapted_.end()) return read_mapped(weights_.tensor(name), as);
  // W + ΔW in f32, in the stored layout (Conv1D keeps [in, out]).
  const adapters::LoraModule& module = lora_->modules()[adapted->second];
  const Tensor delta = module.lora->merged_delta();  // [O, I]
  const std::vector<float> change =
      (module.site.conv1d ? delta.transpose(0, 1) : delta).to_f32_vector();
  std::vector<float> values = read_mapped(weights_.tensor(name), std::nullopt);
  RETUNE_CHECK(values.size() == change.size(), "{}: adapter delta of {} has {} entries, not {}",
               reference_.adapter.string(), name, change.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) values[i] += change[i];
  // merge_and_unload keeps the weight's dtype: round as the merged model's file would be.
  const DType target = as.value_or(dtype(name));
  if (target == DType::f32) return values;
  return rounded(Tensor::from_vector<float>(shape(name), DType::f32, values), target);
}

}  // namespace retune::merge
