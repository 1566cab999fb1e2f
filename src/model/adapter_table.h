// AdapterTable: the adapters attached to a model's linear layers, by layer and by the
// architecture's kind of linear (LlamaLinear, Gpt2Linear as an index). Shared ownership: the
// trainer that trains an adapter holds it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/linear_adapter.h"

namespace retune::model {

class AdapterTable {
 public:
  AdapterTable(int64_t layers, size_t kinds) : layers_(layers), kinds_(kinds) {}

  // Attaches (or, with null, removes) the adapter of one linear; `model` names the caller in
  // the error for a layer out of range.
  void set(const char* model, int64_t layer, size_t kind, std::shared_ptr<LinearAdapter> adapter);
  // The adapter of one linear, or null.
  LinearAdapter* get(int64_t layer, size_t kind) const;
  // Every attached adapter's product_weights(), layer by layer.
  std::vector<Tensor> product_weights() const;

 private:
  int64_t layers_;
  size_t kinds_;
  std::vector<std::shared_ptr<LinearAdapter>> adapters_;  // [layer * kinds + kind], or empty
};

}  // namespace retune::model
