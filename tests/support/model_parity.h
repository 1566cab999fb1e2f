// Helpers for the model parity tests against the transformers fixtures (tests/fixtures/hf,
// made by tools/fixtures/make_hf_fixtures.py).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "io/safetensors_file.h"
#include "io/safetensors_model.h"
#include "io/safetensors_writer.h"

namespace retune {

// tests/fixtures/hf/models/<name>.
inline std::filesystem::path hf_model_fixture(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "models" / name;
}

// The largest |actual - expected| over row `row` of two tensors of the same shape [B, ...].
inline float max_row_error(const Tensor& actual, const Tensor& expected, int64_t row) {
  EXPECT_EQ(actual.shape(), expected.shape());
  const std::vector<float> a = actual.select(0, row).to_f32_vector();
  const std::vector<float> b = expected.select(0, row).to_f32_vector();
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

// Every tensor of a model folder, by name (to write modified copies).
inline NamedTensors folder_tensors(const std::filesystem::path& folder) {
  const SafetensorsModel weights = SafetensorsModel::open(folder);
  NamedTensors tensors;
  for (const std::string& name : weights.names()) tensors.emplace_back(name, weights.tensor(name));
  return tensors;
}

// The model's logits and final hidden states against transformers' (f32, eager attention) for
// both rows of the fixture's input_ids, within 1e-4; the errors are recorded as test properties.
template <typename Model>
void expect_matches_transformers(const Model& model, const std::filesystem::path& folder) {
  const SafetensorsFile reference = SafetensorsFile::open(folder / "reference.safetensors");
  const Tensor input_ids = reference.tensor("input_ids").to(DType::i32);
  const Tensor hidden = model.forward_hidden(input_ids);
  const Tensor logits = model.logits(hidden);
  for (int64_t row = 0; row < 2; ++row) {
    const float logit_error = max_row_error(logits, reference.tensor("logits"), row);
    const float hidden_error = max_row_error(hidden, reference.tensor("hidden_states_last"), row);
    const std::string suffix = "_row" + std::to_string(row);
    testing::Test::RecordProperty("max_logit_error" + suffix, std::to_string(logit_error));
    testing::Test::RecordProperty("max_hidden_error" + suffix, std::to_string(hidden_error));
    EXPECT_LT(logit_error, 1e-4f) << "row " << row;
    EXPECT_LT(hidden_error, 1e-4f) << "row " << row;
  }
  EXPECT_EQ(model.forward(input_ids).to_f32_vector(), logits.to_f32_vector());
}

}  // namespace retune
