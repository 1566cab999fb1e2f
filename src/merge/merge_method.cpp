#include "merge/merge_method.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

namespace retune::merge {
namespace {

ParameterSpec number(std::string name, ParameterScope scope, std::optional<double> value) {
  ParameterSpec spec{std::move(name), ParameterType::number, scope, std::nullopt, false, {}};
  if (value) spec.default_value = Scalar::of_number(*value);
  return spec;
}

ParameterSpec boolean(std::string name, bool value) {
  return {std::move(name),
          ParameterType::boolean,
          ParameterScope::shared,
          Scalar::of_boolean(value),
          false,
          {}};
}

ParameterSpec text(std::string name, std::vector<std::string> choices) {
  return {std::move(name), ParameterType::text, ParameterScope::shared, Scalar::of_text(choices[0]),
          false,           std::move(choices)};
}

// mergekit's GeneralizedTaskArithmeticMerge with one consensus and sparsification.
MethodSpec task_arithmetic(std::string name, Consensus consensus, Sparsification sparsification,
                           bool default_normalize, bool default_rescale) {
  MethodSpec spec;
  spec.name = std::move(name);
  spec.kind = MethodKind::task_arithmetic;
  spec.base = BasePolicy::required;
  spec.consensus = consensus;
  spec.sparsification = sparsification;
  spec.parameters = {
      boolean("int8_mask", false),
      boolean("normalize", default_normalize),
      boolean("rescale", default_rescale),
      number("lambda", ParameterScope::shared, 1.0),
      number("weight", ParameterScope::non_base, std::nullopt),
      number("density", ParameterScope::non_base, 1.0),
  };
  if (sparsification == Sparsification::magnitude_outliers) {
    spec.parameters.push_back(number("gamma", ParameterScope::non_base, 0.01));
  }
  if (sparsification == Sparsification::della_magprune) {
    spec.parameters.push_back(number("epsilon", ParameterScope::non_base, 0.15));
  }
  if (spec.random()) {
    spec.parameters.push_back(number("seed", ParameterScope::shared, std::nullopt));
    spec.parameters.back().may_be_unset = true;
    spec.parameters.push_back(text("rescale_mode", {"l1", "inverse"}));
  }
  if (sparsification == Sparsification::magnitude && consensus == Consensus::sum) {
    spec.parameters.push_back(text("trim_scope", {"tensor", "model"}));
  }
  return spec;
}

std::vector<MethodSpec> make_methods() {
  std::vector<MethodSpec> methods;
  MethodSpec linear;
  linear.name = "linear";
  linear.kind = MethodKind::linear;
  linear.parameters = {number("weight", ParameterScope::input, std::nullopt),
                       boolean("normalize", true)};
  methods.push_back(linear);

  methods.push_back(
      task_arithmetic("task_arithmetic", Consensus::none, Sparsification::none, false, false));
  methods.push_back(
      task_arithmetic("ties", Consensus::sum, Sparsification::magnitude, true, false));
  methods.push_back(
      task_arithmetic("dare_linear", Consensus::none, Sparsification::random, false, true));
  methods.push_back(
      task_arithmetic("dare_ties", Consensus::sum, Sparsification::random, false, true));
  methods.push_back(task_arithmetic("breadcrumbs", Consensus::none,
                                    Sparsification::magnitude_outliers, false, false));
  methods.push_back(task_arithmetic("breadcrumbs_ties", Consensus::sum,
                                    Sparsification::magnitude_outliers, false, false));
  methods.push_back(
      task_arithmetic("della", Consensus::sum, Sparsification::della_magprune, true, true));
  methods.push_back(task_arithmetic("della_linear", Consensus::none, Sparsification::della_magprune,
                                    false, true));

  MethodSpec slerp;
  slerp.name = "slerp";
  slerp.kind = MethodKind::slerp;
  slerp.base = BasePolicy::required;
  slerp.min_inputs = 2;
  slerp.max_inputs = 2;
  slerp.parameters = {number("t", ParameterScope::shared, std::nullopt)};
  methods.push_back(slerp);

  MethodSpec nuslerp;
  nuslerp.name = "nuslerp";
  nuslerp.kind = MethodKind::nuslerp;
  nuslerp.base = BasePolicy::optional;
  nuslerp.min_non_base = 2;
  nuslerp.max_non_base = 2;
  nuslerp.parameters = {number("weight", ParameterScope::non_base, std::nullopt),
                        boolean("nuslerp_row_wise", false), boolean("nuslerp_flatten", true)};
  methods.push_back(nuslerp);

  MethodSpec stock;
  stock.name = "model_stock";
  stock.kind = MethodKind::model_stock;
  stock.base = BasePolicy::required;
  stock.min_inputs = 3;
  stock.parameters = {boolean("filter_wise", false)};
  methods.push_back(stock);

  MethodSpec passthrough;
  passthrough.name = "passthrough";
  passthrough.kind = MethodKind::passthrough;
  passthrough.max_inputs = 1;
  passthrough.parameters = {number("scale", ParameterScope::input, std::nullopt)};
  passthrough.parameters.back().may_be_unset = true;
  methods.push_back(passthrough);
  return methods;
}

const std::vector<MethodSpec>& methods() {
  static const std::vector<MethodSpec> all = make_methods();
  return all;
}

}  // namespace

const ParameterSpec* MethodSpec::parameter(const std::string& wanted) const {
  for (const ParameterSpec& spec : parameters) {
    if (spec.name == wanted) return &spec;
  }
  return nullptr;
}

const MethodSpec* find_method(const std::string& name) {
  for (const MethodSpec& method : methods()) {
    if (method.name == name) return &method;
  }
  return nullptr;
}

std::vector<std::string> method_names() {
  std::vector<std::string> names;
  for (const MethodSpec& method : methods()) names.push_back(method.name);
  return names;
}

std::string method_list() {
  return fmt::format("{}", fmt::join(method_names(), ", "));
}

std::string parameter_list(const MethodSpec& method) {
  std::vector<std::string> names;
  for (const ParameterSpec& spec : method.parameters) names.push_back(spec.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace retune::merge
