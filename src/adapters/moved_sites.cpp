#include "adapters/moved_sites.h"

#include "core/error.h"

namespace retune::adapters {

MovedSites::MovedSites(model::CausalLm& model) {
  for (model::LinearSite& site : model.linear_sites()) sites_.emplace(site.name, std::move(site));
}

const model::LinearSite& MovedSites::at(const std::string& name, const char* op) const {
  const auto found = sites_.find(name);
  RETUNE_CHECK(found != sites_.end(), "{}: the model has no linear \"{}\"", op, name);
  return found->second;
}

}  // namespace retune::adapters
