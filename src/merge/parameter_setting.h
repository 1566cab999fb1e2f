// A merge parameter's setting as mergekit's configs write it (mergekit/config.py
// ParameterSetting) and how it resolves for one tensor (evaluate_setting):
//
//   weight: 0.5                       a scalar: the value everywhere
//   density: [0.9, 0.5, 0.2]          a gradient list: numbers spread evenly over the layers of
//                                     a slice and interpolated linearly at the tensor's relative
//                                     layer position t in [0, 1] (t * (n - 1) between entries;
//                                     lists of booleans or strings pick entry int(t * (n - 1)))
//   t:                                a list of conditions, the first whose filter is a substring
//     - filter: self_attn             of the tensor name (or that has no filter, or "*") gives
//       value: [0, 0.5, 1]            the value (a scalar or a gradient list); no match: unset,
//     - value: 0.5                    and the next lower-precedence scope is asked
//
// Scalars keep their YAML text and line until the method's parameter specs type them
// (merge/merge_method.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace retune::merge {

struct Scalar {
  enum class Kind { untyped, number, boolean, text };
  Kind kind = Kind::untyped;
  std::string text;  // as written
  double number = 0;
  bool boolean = false;

  static Scalar of_number(double value);
  static Scalar of_boolean(bool value);
  static Scalar of_text(std::string value);
  // "0.5", "true", "\"row\"" as the value reads.
  std::string str() const;
};

// A scalar (one value), a gradient list (two or more; an empty list resolves to unset), or a
// list of conditions.
struct ParameterSetting {
  struct Condition {
    std::optional<std::string> filter;  // none or "*": matches every tensor
    std::vector<Scalar> value;          // one value or a gradient list
  };
  std::vector<Scalar> values;  // when !conditional
  bool conditional = false;
  std::vector<Condition> conditions;  // when conditional
  int line = 0;                       // 1-based line of the setting in its file
};

// The value for the tensor `tensor_name` at relative layer position t (mergekit's
// evaluate_setting); nullopt when no condition matches or the list is empty. Numbers
// interpolate; anything else is picked. Scalars must be typed.
std::optional<Scalar> evaluate_setting(const ParameterSetting& setting,
                                       const std::string& tensor_name, double t);

// Every scalar of the setting (the values, or every condition's values), to type or check them.
std::vector<Scalar*> setting_scalars(ParameterSetting& setting);

}  // namespace retune::merge
