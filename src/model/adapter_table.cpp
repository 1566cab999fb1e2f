#include "model/adapter_table.h"

#include <utility>

#include "core/error.h"

namespace retune::model {

void AdapterTable::set(const char* model, int64_t layer, size_t kind,
                       std::shared_ptr<LinearAdapter> adapter) {
  RETUNE_CHECK(layer >= 0 && layer < layers_, "{}::set_adapter: layer {} is outside [0, {})", model,
               layer, layers_);
  adapters_.resize(static_cast<size_t>(layers_) * kinds_);
  adapters_[static_cast<size_t>(layer) * kinds_ + kind] = std::move(adapter);
}

LinearAdapter* AdapterTable::get(int64_t layer, size_t kind) const {
  const size_t at = static_cast<size_t>(layer) * kinds_ + kind;
  return at < adapters_.size() ? adapters_[at].get() : nullptr;
}

std::vector<Tensor> AdapterTable::product_weights() const {
  std::vector<Tensor> weights;
  for (const std::shared_ptr<LinearAdapter>& adapter : adapters_) {
    if (!adapter) continue;
    for (Tensor& w : adapter->product_weights()) weights.push_back(std::move(w));
  }
  return weights;
}

}  // namespace retune::model
