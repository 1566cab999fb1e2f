// MovedSites: a model's linear sites by name, for an adapter's move_to
// (adapters/trained_adapter.h): after model::move_weights they view the moved weights and biases,
// which the adapter's modules take in place of the ones they viewed.
#pragma once

#include <map>
#include <string>

#include "model/causal_lm.h"

namespace retune::adapters {

class MovedSites {
 public:
  explicit MovedSites(model::CausalLm& model);

  // The site named `name`; throws, naming `op` ("LoraModel::move_to"), when the model has none.
  const model::LinearSite& at(const std::string& name, const char* op) const;

 private:
  std::map<std::string, model::LinearSite> sites_;
};

}  // namespace retune::adapters
