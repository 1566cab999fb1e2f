// The merge methods retune supports, described as mergekit 0.1.5 registers them
// (mergekit/merge_methods/registry.py and each method's file): their parameters (name, type,
// scope, default), whether they take a base model, and how many inputs.
//
// Parameter scopes (mergekit's ParameterScope): shared parameters take one value per tensor
// (from the slice's and the global `parameters`); input parameters one per input model (from
// the model's own `parameters` first); non-base parameters one per input that is not the base.
//
// retune's own parameters (not in mergekit; each defaults to mergekit's behaviour):
//   seed         (random methods) the seed of the drop masks (default: --seed, else 0)
//   rescale_mode (dare_*, della*) "l1": rescale kept entries so the task vector keeps its L1
//                norm (mergekit); "inverse": divide each kept entry by its keep probability
//                (1 / density for DARE, 1 / p_i for DELLA, as the papers do)
//   trim_scope   (ties) "tensor": keep the top density of each tensor (mergekit); "model": of
//                each model's whole task vector, one magnitude threshold over all its tensors
//                (the TIES paper and its code)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "merge/parameter_setting.h"

namespace retune::merge {

enum class ParameterType { number, boolean, text };
enum class ParameterScope { shared, input, non_base };

struct ParameterSpec {
  std::string name;
  ParameterType type = ParameterType::number;
  ParameterScope scope = ParameterScope::shared;
  std::optional<Scalar> default_value;  // none: required, unless may_be_unset
  bool may_be_unset = false;            // passthrough's scale: unset means 1
  std::vector<std::string> choices;     // text parameters: the values allowed
};

enum class BasePolicy { ignored, optional, required };
enum class Consensus { none, sum };
enum class Sparsification { none, magnitude, random, magnitude_outliers, della_magprune };

enum class MethodKind { linear, task_arithmetic, slerp, nuslerp, model_stock, passthrough };

struct MethodSpec {
  std::string name;
  MethodKind kind = MethodKind::linear;
  std::vector<ParameterSpec> parameters;
  BasePolicy base = BasePolicy::ignored;
  int min_inputs = 1;
  int max_inputs = -1;  // -1: any
  int min_non_base = 0;
  int max_non_base = -1;
  // Generalized task arithmetic (task_arithmetic, ties, dare_*, breadcrumbs*, della*).
  Consensus consensus = Consensus::none;
  Sparsification sparsification = Sparsification::none;

  const ParameterSpec* parameter(const std::string& name) const;
  bool random() const {
    return sparsification == Sparsification::random ||
           sparsification == Sparsification::della_magprune;
  }
};

// nullptr for a method retune does not support.
const MethodSpec* find_method(const std::string& name);
// Every supported method's name, in mergekit's docs order.
std::vector<std::string> method_names();
// "linear, task_arithmetic, ..." for error messages.
std::string method_list();
// "weight, normalize" (the method's parameter names) for error messages.
std::string parameter_list(const MethodSpec& method);

}  // namespace retune::merge
