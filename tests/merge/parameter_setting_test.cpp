// Parameter settings resolve as mergekit's evaluate_setting does: the values it gave for
// scalars, gradient lists (numbers interpolated at t, booleans picked) and filter lists at
// several tensor names and layer positions (tests/fixtures/merge/parameter_settings.json).
#include "merge/parameter_setting.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/file_contents.h"
#include "merge_fixtures.h"

namespace retune::merge {
namespace {

Scalar scalar(const nlohmann::json& value) {
  if (value.is_boolean()) return Scalar::of_boolean(value.get<bool>());
  if (value.is_number()) return Scalar::of_number(value.get<double>());
  return Scalar::of_text(value.get<std::string>());
}

std::vector<Scalar> values(const nlohmann::json& value) {
  std::vector<Scalar> out;
  if (value.is_array()) {
    for (const auto& v : value) out.push_back(scalar(v));
  } else {
    out.push_back(scalar(value));
  }
  return out;
}

ParameterSetting setting(const nlohmann::json& json) {
  ParameterSetting s;
  if (json.is_array() && !json.empty() && json[0].is_object()) {
    s.conditional = true;
    for (const auto& c : json) {
      ParameterSetting::Condition condition;
      if (c.contains("filter") && !c["filter"].is_null()) condition.filter = c["filter"];
      condition.value = values(c["value"]);
      s.conditions.push_back(condition);
    }
  } else {
    s.values = values(json);
  }
  return s;
}

TEST(MergeParameterSetting, MatchesMergekitsEvaluateSetting) {
  const nlohmann::json cases = read_json_file(merge_fixtures() / "parameter_settings.json");
  ASSERT_GT(cases.size(), 100u);
  for (const auto& c : cases) {
    const std::optional<Scalar> got =
        evaluate_setting(setting(c["setting"]), c["tensor"], c["t"].get<double>());
    const std::string what = c.dump();
    if (c["value"].is_null()) {
      EXPECT_FALSE(got.has_value()) << what;
    } else if (c["value"].is_boolean()) {
      ASSERT_TRUE(got.has_value()) << what;
      EXPECT_EQ(got->boolean, c["value"].get<bool>()) << what;
    } else {
      ASSERT_TRUE(got.has_value()) << what;
      EXPECT_NEAR(got->number, c["value"].get<double>(), 1e-12) << what;
    }
  }
}

}  // namespace
}  // namespace retune::merge
