// Intruder dimensions and their mitigation (eval/intruder_dimensions.h,
// eval/intruder_mitigation.h): hand-built cases with known answers, and PEFT 0.21's
// reduce_intruder_dimension on two LoRA adapters of the llama_gqa_untied fixture
// (tests/fixtures/intruders, tools/fixtures/make_intruder_fixtures.py).
#include "eval/intruder_dimensions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "eval/intruder_mitigation.h"
#include "eval/module_weights.h"
#include "io/safetensors_file.h"
#include "support/error_of.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

namespace fs = std::filesystem;
using linalg::Matrix;

// W0 [8, 6] = diag(10, 9, 8, 7, 6, 5) on top: its left singular vectors are e_0 .. e_5.
Matrix diagonal_base() {
  Matrix w(8, 6);
  for (int64_t i = 0; i < 6; ++i) w(i, i) = 10.0 - static_cast<double>(i);
  return w;
}

// base + sigma · e_row e_colᵀ
Matrix plus_rank_one(Matrix w, int64_t row, int64_t col, double sigma) {
  w(row, col) += sigma;
  return w;
}

double max_abs_difference(const Matrix& a, const Matrix& b) {
  double worst = 0;
  for (size_t i = 0; i < a.values.size(); ++i) {
    worst = std::max(worst, std::abs(a.values[i] - b.values[i]));
  }
  return worst;
}

// s · B · A
Matrix product(const eval::LoraFactors& f, double scaling) {
  Matrix p = linalg::multiply(f.b, f.a);
  for (double& v : p.values) v *= scaling;
  return p;
}

TEST(IntruderDimensions, AnOrthogonalPlantedUpdateIsAnIntruder) {
  // 20 e_7 e_2ᵀ: e_7 is orthogonal to every left singular vector of W0, and σ = 20 puts the
  // update first: W's top left singular vector is column 2 of W, (8 e_2 + 20 e_7) / √464, whose
  // largest cosine with W0's is 8 / √464 ≈ 0.37.
  const eval::IntruderAnalysis a =
      eval::analyse_intruders(diagonal_base(), plus_rank_one(diagonal_base(), 7, 2, 20), {3, 0.5});
  ASSERT_EQ(a.cosines.size(), 3u);
  EXPECT_NEAR(a.cosines[0], 8 / std::sqrt(464.0), 1e-12);
  EXPECT_NEAR(a.cosines[1], 1.0, 1e-12);
  EXPECT_NEAR(a.cosines[2], 1.0, 1e-12);
  EXPECT_EQ(a.intruders, std::vector<int64_t>{0});
  ASSERT_EQ(a.intruder_singular_values().size(), 1u);
  EXPECT_NEAR(a.intruder_singular_values()[0], std::sqrt(20.0 * 20 + 8 * 8), 1e-9);
}

TEST(IntruderDimensions, AnUpdateAlongTheBasesTopDirectionIsNot) {
  const eval::IntruderAnalysis a =
      eval::analyse_intruders(diagonal_base(), plus_rank_one(diagonal_base(), 0, 0, 20), {6, 0.5});
  ASSERT_EQ(a.cosines.size(), 6u);
  for (const double c : a.cosines) EXPECT_NEAR(c, 1.0, 1e-12);
  EXPECT_TRUE(a.intruders.empty());
  EXPECT_NEAR(a.merged.s[0], 30.0, 1e-12);
}

TEST(IntruderDimensions, TopKIsCappedByTheRank) {
  EXPECT_EQ(eval::analyse_intruders(diagonal_base(), diagonal_base(), {100, 0.5}).cosines.size(),
            6u);
}

TEST(IntruderDimensions, MitigationScalesTheIntruderComponent) {
  // W − W0 = 20 e_7 e_2ᵀ; the intruder is u = e_7 (σ = √464, v ∝ 20 e_2 + 8 e_2 ... the whole
  // column 2 of W), so W_mit − W0 = ΔW + (λ − 1) u σ vᵀ = ΔW + (λ − 1) (column 2 of W in row 7).
  const Matrix base = diagonal_base();
  const Matrix merged = plus_rank_one(base, 7, 2, 20);
  const eval::IntruderAnalysis a = eval::analyse_intruders(base, merged, {3, 0.5});
  const eval::LoraFactors f = eval::mitigated_lora_factors(base, merged, a, 0.25, 2.0, 2);
  EXPECT_EQ(f.a.rows, 2);
  EXPECT_EQ(f.a.cols, 6);
  EXPECT_EQ(f.b.rows, 8);
  EXPECT_EQ(f.b.cols, 2);
  const Matrix mitigated = product(f, 2.0);
  Matrix expected(8, 6);
  expected(7, 2) = 0.25 * 20;
  expected(2, 2) = (0.25 - 1) * 8;
  EXPECT_LT(max_abs_difference(mitigated, expected), 1e-9);
}

TEST(IntruderDimensions, LambdaOneGivesBackALowRankDelta) {
  Matrix base = diagonal_base();
  Matrix delta(8, 6);
  for (int64_t i = 0; i < 8; ++i) {
    for (int64_t j = 0; j < 6; ++j)
      delta(i, j) = 3.0 * (i == 7) * (j + 1) + 0.5 * (i - 3) * (j == 4);
  }
  Matrix merged = base;
  for (size_t i = 0; i < merged.values.size(); ++i) merged.values[i] += delta.values[i];
  const eval::IntruderAnalysis a = eval::analyse_intruders(base, merged, {10, 0.5});
  ASSERT_FALSE(a.intruders.empty());
  EXPECT_LT(max_abs_difference(
                product(eval::mitigated_lora_factors(base, merged, a, 1.0, 0.5, 2), 0.5), delta),
            1e-9);
}

TEST(IntruderDimensions, BadOptionsAreRefused) {
  const Matrix w = diagonal_base();
  EXPECT_EQ(error_of([&] {
              eval::analyse_intruders(w, w, {0, 0.5});
            }),
            "--top-k must be >= 1, got 0");
  EXPECT_EQ(error_of([&] {
              eval::analyse_intruders(w, w, {10, 0});
            }),
            "--epsilon must be in (0, 1], got 0");
  EXPECT_EQ(error_of([&] {
              eval::analyse_intruders(w, w, {10, 1.5});
            }),
            "--epsilon must be in (0, 1], got 1.5");
  EXPECT_EQ(error_of([&] {
              eval::analyse_intruders(w, Matrix(6, 8), {10, 0.5});
            }),
            "intruder dimensions: the merged weight is 6x8 but the base weight 8x6");
  const eval::IntruderAnalysis a = eval::analyse_intruders(w, w, {10, 0.5});
  EXPECT_EQ(error_of([&] { eval::mitigated_lora_factors(w, w, a, 1.5, 1, 2); }),
            "--mitigate must be in [0, 1], got 1.5");
  EXPECT_EQ(error_of([&] { eval::mitigated_lora_factors(w, w, a, -0.5, 1, 2); }),
            "--mitigate must be in [0, 1], got -0.5");
}

// ---- PEFT parity -----------------------------------------------------------------------------

fs::path fixtures() {
  return fs::path(RETUNE_FIXTURES_DIR) / "intruders";
}

fs::path adapter_of(const std::string& case_name) {
  return case_name == "planted" ? fixtures() / "planted" / "adapter"
                                : fs::path(RETUNE_FIXTURES_DIR) / "peft" / "llama_gqa_untied" /
                                      "lora" / "after_3_steps";
}

nlohmann::json peft_record(const std::string& case_name) {
  std::ifstream in(fixtures() / case_name / "peft" / "intruders.json");
  return nlohmann::json::parse(in);
}

// PEFT computes in float32 (SVDs of float32 weights), retune in double: the largest difference
// measured is 8.2e-5 (trained) for the cosines and 4.2e-6 for the products.
constexpr double kCosineTolerance = 5e-4;
// max |ΔW_retune − ΔW_peft| / max |ΔW_peft| of a mitigated module.
constexpr double kProductTolerance = 1e-4;

class IntruderPeftParity : public ::testing::TestWithParam<std::string> {};

TEST_P(IntruderPeftParity, CountsAndCosinesMatchPeft) {
  const nlohmann::json record = peft_record(GetParam());
  const std::vector<eval::ModuleIntruders> found = eval::find_intruders(
      eval::adapter_module_weights(hf_model_fixture("llama_gqa_untied"), adapter_of(GetParam())),
      {10, 0.5});
  ASSERT_EQ(found.size(), record["modules"].size());
  size_t total = 0;
  for (const eval::ModuleIntruders& m : found) {
    const nlohmann::json& expected = record["modules"].at(m.module);
    EXPECT_EQ(m.intruders, expected["intruders"].get<std::vector<int64_t>>()) << m.module;
    EXPECT_EQ(m.intruders.size(), expected["count"].get<size_t>()) << m.module;
    const std::vector<double> cosines = expected["cosines"].get<std::vector<double>>();
    ASSERT_EQ(m.cosines.size(), cosines.size());
    for (size_t i = 0; i < cosines.size(); ++i) {
      EXPECT_NEAR(m.cosines[i], cosines[i], kCosineTolerance) << m.module << " " << i;
    }
    total += m.intruders.size();
  }
  EXPECT_EQ(total, record["total"].get<size_t>());
  EXPECT_GT(total, 0u);
}

TEST_P(IntruderPeftParity, MitigatedProductsMatchPeft) {
  const fs::path base = hf_model_fixture("llama_gqa_untied");
  for (const char* lambda : {"0.75", "0.25"}) {
    TempDir dir;
    eval::mitigate_intruders(base, adapter_of(GetParam()), dir / "out", {10, 0.5},
                             std::stod(lambda));
    const SafetensorsFile peft = SafetensorsFile::open(
        fixtures() / GetParam() / "peft" / (std::string("mitigated_") + lambda + ".safetensors"));
    const std::vector<eval::ModuleWeights> mitigated =
        eval::adapter_module_weights(base, dir / "out");
    ASSERT_EQ(mitigated.size(), peft_record(GetParam())["modules"].size());
    for (const eval::ModuleWeights& m : mitigated) {
      const Matrix expected = linalg::read_matrix(peft.tensor(m.module), "test", "peft", "[o, i]");
      double scale = 0, worst = 0;
      for (size_t i = 0; i < expected.values.size(); ++i) {
        scale = std::max(scale, std::abs(expected.values[i]));
        worst =
            std::max(worst, std::abs(m.tuned.values[i] - m.base.values[i] - expected.values[i]));
      }
      EXPECT_LT(worst, kProductTolerance * scale) << m.module << " lambda " << lambda;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, IntruderPeftParity, ::testing::Values("trained", "planted"));

TEST(IntruderMitigation, LambdaOneKeepsTheAdaptersProducts) {
  TempDir dir;
  const fs::path base = hf_model_fixture("llama_gqa_untied");
  eval::mitigate_intruders(base, adapter_of("planted"), dir / "out", {10, 0.5}, 1.0);
  const std::vector<eval::ModuleWeights> before =
      eval::adapter_module_weights(base, adapter_of("planted"));
  const std::vector<eval::ModuleWeights> after = eval::adapter_module_weights(base, dir / "out");
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_LT(max_abs_difference(before[i].tuned, after[i].tuned), 1e-5) << before[i].module;
  }
}

TEST(IntruderMitigation, BadInputIsRefusedAndNothingWritten) {
  TempDir dir;
  const fs::path llama = hf_model_fixture("llama_gqa_untied");
  const fs::path out = dir / "out";
  const auto mitigate = [&](const fs::path& base, const fs::path& adapter,
                            eval::IntruderOptions options, double lambda) {
    return error_of([&] { eval::mitigate_intruders(base, adapter, out, options, lambda); });
  };
  EXPECT_EQ(mitigate(llama, adapter_of("planted"), {10, 0.5}, 1.5),
            "--mitigate must be in [0, 1], got 1.5");
  EXPECT_EQ(mitigate(llama, adapter_of("planted"), {0, 0.5}, 0.5), "--top-k must be >= 1, got 0");
  const fs::path dora =
      fs::path(RETUNE_FIXTURES_DIR) / "peft" / "llama_gqa_untied" / "dora" / "after_3_steps";
  EXPECT_EQ(mitigate(llama, dora, {10, 0.5}, 0.5),
            (dora / "adapter_config.json").string() +
                ": use_dora is true, but intruder mitigation supports plain LoRA adapters only");
  EXPECT_NE(mitigate(llama, dir / "missing", {10, 0.5}, 0.5).find((dir / "missing").string()),
            std::string::npos);
  // An adapter of another model: the loader names its config and the targets the base lacks.
  const std::string mismatched =
      mitigate(hf_model_fixture("gpt2"), adapter_of("planted"), {10, 0.5}, 0.5);
  EXPECT_EQ(mismatched.rfind((adapter_of("planted") / "adapter_config.json").string() +
                                 ": LoRA target_modules: no module of the model is named",
                             0),
            0u)
      << mismatched;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace retune
