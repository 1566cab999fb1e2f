// The PEFT method fixtures (tests/fixtures/peft_methods, made by
// tools/fixtures/make_peft_method_fixtures.py) as the IA3 and Poly parity tests read them.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "model/token_batch.h"
#include "peft_fixtures.h"

namespace retune::adapters {

// tests/fixtures/peft_methods/<path>.
inline std::filesystem::path peft_method_fixture(const std::string& path) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "peft_methods" / path;
}

// metadata.json's entry for a case ("llama_gqa_untied/ia3").
inline const nlohmann::json& peft_method_case(const std::string& name) {
  static const nlohmann::json meta = read_json_file(peft_method_fixture("metadata.json"));
  return meta["cases"][name];
}

inline void record_error(const std::string& what, double error) {
  testing::Test::RecordProperty(what, fmt::format("{:.3g}", error));
}

// ||a - b|| / ||b||.
inline double normwise_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const std::vector<float> x = a.to_f32_vector(), y = b.to_f32_vector();
  double difference = 0, norm = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    difference += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
    norm += static_cast<double>(y[i]) * y[i];
  }
  return std::sqrt(difference / norm);
}

// The calibration set as one batch of 4 rows (hf_labelled_batch: the prompts and the last row's
// padding are unscored).
inline model::TokenBatch peft_method_calibration(const std::string& model) {
  return hf_labelled_batch(peft_method_fixture(model) / "calibration.safetensors");
}

// The largest |a - b| over the logits [B, T, V] of positions the attention mask keeps (PEFT ran
// the model with it; the padding ends the last row, so the positions before it are unchanged).
inline double unmasked_max_error(const std::string& model, const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const Tensor mask = SafetensorsFile::open(peft_method_fixture(model) / "calibration.safetensors")
                          .tensor("attention_mask");
  const std::vector<float> x = a.to_f32_vector(), y = b.to_f32_vector();
  const int64_t V = a.size(2);
  double worst = 0;
  for (int64_t position = 0; position < mask.numel(); ++position) {
    if (mask.data<int64_t>()[position] == 0) continue;
    for (int64_t v = position * V; v < (position + 1) * V; ++v) {
      worst = std::max(worst, std::abs(static_cast<double>(x[v]) - y[v]));
    }
  }
  return worst;
}

}  // namespace retune::adapters
