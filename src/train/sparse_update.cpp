#include "train/sparse_update.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "io/safetensors_file.h"
#include "ops/entries.h"
#include "ops/zero_fill.h"

namespace retune::train {

bool sparse_maskable(const std::string& name) {
  const bool in_layer =
      name.find(".layers.") != std::string::npos || name.starts_with("transformer.h.");
  const bool norm =
      name.find("norm") != std::string::npos || name.find(".ln_") != std::string::npos;
  return in_layer && !norm && name.ends_with(".weight");
}

NamedTensors top_k_mask(const NamedTensors& base, const NamedTensors& tuned, int64_t k) {
  std::map<std::string, Tensor> tuned_by_name(tuned.begin(), tuned.end());
  struct Change {
    float magnitude;
    size_t tensor;
    int64_t index;
  };
  std::vector<Change> changes;
  std::vector<std::string> names;
  for (const auto& [name, start] : base) {
    if (!sparse_maskable(name)) continue;
    const auto found = tuned_by_name.find(name);
    RETUNE_CHECK(found != tuned_by_name.end() && found->second.shape() == start.shape(),
                 "sparse mask: the tuned model has no weight {} of shape {}", name,
                 start.shape().str());
    const std::vector<float> a = start.to_f32_vector(), b = found->second.to_f32_vector();
    for (size_t i = 0; i < a.size(); ++i) {
      changes.push_back({std::abs(b[i] - a[i]), names.size(), static_cast<int64_t>(i)});
    }
    names.push_back(name);
  }
  RETUNE_CHECK(k >= 1 && k <= std::ssize(changes),
               "sparse mask: {} entries asked for, the maskable weights have {}", k,
               changes.size());
  const auto larger = [](const Change& x, const Change& y) {
    if (x.magnitude != y.magnitude) return x.magnitude > y.magnitude;
    if (x.tensor != y.tensor) return x.tensor < y.tensor;
    return x.index < y.index;
  };
  std::nth_element(changes.begin(), changes.begin() + (k - 1), changes.end(), larger);
  std::vector<std::vector<int64_t>> kept(names.size());
  for (int64_t i = 0; i < k; ++i) {
    const Change& change = changes[static_cast<size_t>(i)];
    kept[change.tensor].push_back(change.index);
  }
  NamedTensors masks;
  for (size_t t = 0; t < names.size(); ++t) {
    if (kept[t].empty()) continue;
    std::sort(kept[t].begin(), kept[t].end());
    masks.emplace_back(names[t],
                       Tensor::from_vector<int64_t>({std::ssize(kept[t])}, DType::i64, kept[t]));
  }
  return masks;
}

std::map<std::string, Tensor> read_mask(const std::filesystem::path& file) {
  const SafetensorsFile masks = SafetensorsFile::open(file);
  std::map<std::string, Tensor> read;
  for (const std::string& name : masks.names()) {
    const Tensor mask = masks.tensor(name);
    RETUNE_CHECK(mask.dtype() == DType::i64 && mask.rank() == 1,
                 "{}: mask \"{}\" is {}, expected i64 [k] indices", file.string(), name,
                 mask.describe());
    read.emplace(name, mask.clone());
  }
  return read;
}

MaskedUpdate::MaskedUpdate(const std::map<std::string, Tensor>& mask,
                           const std::vector<model::TrainedWeight>& weights) {
  size_t named = 0;
  for (const auto& [name, value, grad] : weights) {
    Tensor indices = Tensor::empty({0}, DType::i64);
    if (const auto found = mask.find(name); found != mask.end()) {
      indices = found->second.contiguous();
      const int64_t* index = indices.data<int64_t>();
      for (int64_t j = 0; j < indices.numel(); ++j) {
        RETUNE_CHECK(index[j] >= 0 && index[j] < value.numel(),
                     "the sparse mask of {} holds entry {}, outside its {} entries", name, index[j],
                     value.numel());
      }
      entries_ += indices.numel();
      ++named;
    }
    const Device device = value.device();
    masked_.push_back({.name = name,
                       .value = value,
                       .grad = grad,
                       .start = value.clone(),
                       .indices = on_device(indices, device),
                       .kept = Tensor::empty({indices.numel()}, DType::f32, device)});
  }
  RETUNE_CHECK(named == mask.size(),
               "the sparse mask names {} weights, {} of them trained: it was made for another "
               "model or method",
               mask.size(), named);
}

std::vector<adapters::SparseEntries> MaskedUpdate::difference() const {
  std::vector<adapters::SparseEntries> diff;
  for (const Masked& masked : masked_) {
    const int64_t k = masked.indices.numel();
    if (k == 0) continue;
    // θ and θ0 at the entries, read on the host.
    const Tensor value = Tensor::empty({k}, DType::f32, masked.value.device());
    const Tensor start = Tensor::empty({k}, DType::f32, masked.value.device());
    ops::gather_entries(masked.value, masked.indices, value);
    ops::gather_entries(masked.start, masked.indices, start);
    const std::vector<float> now = value.to_f32_vector(), before = start.to_f32_vector();
    std::vector<float> change(now.size());
    for (size_t j = 0; j < change.size(); ++j) change[j] = now[j] - before[j];
    diff.push_back({.weight = masked.name,
                    .indices = on_device(masked.indices, Device::cpu()).clone(),
                    .values = Tensor::from_vector<float>({k}, DType::f32, change),
                    .shape = masked.value.shape()});
  }
  return diff;
}

void MaskedUpdate::mask_gradients() const {
  std::vector<Tensor> grads;
  for (const Masked& masked : masked_) {
    ops::gather_entries(masked.grad, masked.indices, masked.kept);
    grads.push_back(masked.grad);
  }
  ops::zero_fill(grads);
  for (const Masked& masked : masked_) {
    ops::scatter_entries(masked.grad, masked.indices, masked.kept);
  }
}

void MaskedUpdate::project() const {
  for (const Masked& masked : masked_) {
    ops::gather_entries(masked.value, masked.indices, masked.kept);
    masked.value.copy_from(masked.start);
    ops::scatter_entries(masked.value, masked.indices, masked.kept);
  }
}

}  // namespace retune::train
