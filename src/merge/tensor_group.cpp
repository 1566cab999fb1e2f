#include "merge/tensor_group.h"

#include "core/error.h"

namespace retune::merge {
namespace {

const Scalar& find(const std::map<std::string, Scalar>& values, const std::string& name) {
  const auto found = values.find(name);
  RETUNE_CHECK(found != values.end(), "merge parameter {} was not resolved", name);
  return found->second;
}

}  // namespace

double GroupParameters::number(const std::string& name) const {
  return find(shared, name).number;
}
bool GroupParameters::flag(const std::string& name) const {
  return find(shared, name).boolean;
}
const std::string& GroupParameters::text(const std::string& name) const {
  return find(shared, name).text;
}
double GroupParameters::number(const std::string& name, size_t input) const {
  return find(per_input.at(input), name).number;
}
bool GroupParameters::has(const std::string& name, size_t input) const {
  return per_input.at(input).contains(name);
}

}  // namespace retune::merge
