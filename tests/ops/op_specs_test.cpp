// Runs every op spec (src/ops/check) on every device this build has: fast path vs the
// double-precision reference, backward vs reference, reference backward vs central finite
// differences. The tolerances are stated in each spec.
#include <gtest/gtest.h>

#include <cctype>

#include "ops/check/op_check.h"
#include "ops/check/specs.h"

namespace retune::ops {
namespace {

struct SpecOnDevice {
  size_t index;
  Device device;
};

const std::vector<OpSpec>& specs() {
  static const std::vector<OpSpec> all = all_op_specs();
  return all;
}

std::vector<SpecOnDevice> cases() {
  std::vector<SpecOnDevice> result;
  for (Device device : available_devices()) {
    for (size_t i = 0; i < specs().size(); ++i) result.push_back({i, device});
  }
  return result;
}

class OpSpecTest : public testing::TestWithParam<SpecOnDevice> {};

TEST_P(OpSpecTest, MatchesReferenceAndFiniteDifferences) {
  const OpSpec& spec = specs()[GetParam().index];
  const std::vector<CheckResult> results = run_op_spec(spec, GetParam().device, 20261127);
  ASSERT_FALSE(results.empty());
  for (const CheckResult& result : results) {
    EXPECT_TRUE(result.passed) << spec.name() << ": " << result.check << " max |error| "
                               << result.max_abs_error << " exceeds atol " << result.tolerance.atol
                               << " + rtol " << result.tolerance.rtol << " by x"
                               << result.worst_excess << "; " << result.detail;
  }
}

std::string case_name(const testing::TestParamInfo<SpecOnDevice>& info) {
  std::string name = device_name(info.param.device) + "_" + std::to_string(info.param.index) + "_" +
                     specs()[info.param.index].name();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpSpecTest, testing::ValuesIn(cases()), case_name);

}  // namespace
}  // namespace retune::ops
