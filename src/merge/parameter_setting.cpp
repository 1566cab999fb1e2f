#include "merge/parameter_setting.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/error.h"

namespace retune::merge {
namespace {

// mergekit's evaluate_setting on a list of values: numbers interpolate linearly between the
// entries around t * (n - 1); other kinds take the entry at int(t * (n - 1)).
std::optional<Scalar> evaluate_values(const std::vector<Scalar>& values, double t) {
  if (values.empty()) return std::nullopt;
  if (values.size() == 1) return values[0];
  const bool numeric = std::all_of(values.begin(), values.end(),
                                   [](const Scalar& s) { return s.kind == Scalar::Kind::number; });
  const double scaled = t * static_cast<double>(values.size() - 1);
  const auto i0 = static_cast<size_t>(scaled);
  if (!numeric) return values[std::min(i0, values.size() - 1)];
  const size_t i1 = std::min(values.size() - 1, i0 + 1);
  const double frac = scaled - static_cast<double>(i0);
  return Scalar::of_number((1 - frac) * values[std::min(i0, values.size() - 1)].number +
                           frac * values[i1].number);
}

}  // namespace

Scalar Scalar::of_number(double value) {
  Scalar s;
  s.kind = Kind::number;
  s.number = value;
  s.text = fmt::format("{}", value);
  return s;
}

Scalar Scalar::of_boolean(bool value) {
  Scalar s;
  s.kind = Kind::boolean;
  s.boolean = value;
  s.text = value ? "true" : "false";
  return s;
}

Scalar Scalar::of_text(std::string value) {
  Scalar s;
  s.kind = Kind::text;
  s.text = std::move(value);
  return s;
}

std::string Scalar::str() const {
  switch (kind) {
    case Kind::number:
      return fmt::format("{}", number);
    case Kind::boolean:
      return boolean ? "true" : "false";
    case Kind::text:
    case Kind::untyped:
      return fmt::format("\"{}\"", text);
  }
  return text;
}

std::optional<Scalar> evaluate_setting(const ParameterSetting& setting,
                                       const std::string& tensor_name, double t) {
  if (!setting.conditional) return evaluate_values(setting.values, t);
  for (const ParameterSetting::Condition& condition : setting.conditions) {
    if (!condition.filter || *condition.filter == "*" ||
        (!tensor_name.empty() && tensor_name.find(*condition.filter) != std::string::npos)) {
      return evaluate_values(condition.value, t);
    }
  }
  return std::nullopt;
}

std::vector<Scalar*> setting_scalars(ParameterSetting& setting) {
  std::vector<Scalar*> out;
  for (Scalar& s : setting.values) out.push_back(&s);
  for (ParameterSetting::Condition& c : setting.conditions) {
    for (Scalar& s : c.value) out.push_back(&s);
  }
  return out;
}

}  // namespace retune::merge
