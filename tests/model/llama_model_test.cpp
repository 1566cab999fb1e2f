#include "model/llama_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "io/safetensors_file.h"
#include "io/safetensors_model.h"
#include "io/safetensors_writer.h"
#include "support/error_of.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune::model {
namespace {

using testing::HasSubstr;

std::filesystem::path fixture(const std::string& name) {
  return hf_model_fixture(name);
}

class LlamaModelFixture : public testing::TestWithParam<std::string> {};

// Logits and final hidden states against transformers' (eager attention, f32) for both rows.
TEST_P(LlamaModelFixture, MatchesTransformers) {
  expect_matches_transformers(LlamaModel::load(fixture(GetParam())), fixture(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LlamaModelFixture,
                         testing::Values("llama_gqa_untied", "llama_tied", "llama_bf16", "qwen2",
                                         "qwen3"));

TEST(LlamaModel, ExplicitPositionsShiftTheRotation) {
  const auto model = LlamaModel::load(fixture("llama_tied"));
  const Tensor ids =
      Tensor::from_vector<int32_t>({1, 4}, DType::i32, std::vector<int32_t>{5, 6, 7, 8});
  const Tensor zero_based =
      Tensor::from_vector<int32_t>({1, 4}, DType::i32, std::vector<int32_t>{0, 1, 2, 3});
  const Tensor shifted =
      Tensor::from_vector<int32_t>({1, 4}, DType::i32, std::vector<int32_t>{3, 4, 5, 6});
  EXPECT_EQ(model.forward(ids, zero_based).to_f32_vector(), model.forward(ids).to_f32_vector());
  // Relative positions are what attention sees: shifting them all changes only rounding.
  const std::vector<float> a = model.forward(ids).to_f32_vector();
  const std::vector<float> b = model.forward(ids, shifted).to_f32_vector();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4f) << i;
}

// A copy of a fixture folder whose weights are `tensors`.
void write_model(const TempDir& dir, const std::string& name, const NamedTensors& tensors) {
  std::filesystem::copy_file(fixture(name) / "config.json", dir / "config.json");
  write_safetensors(dir / "model.safetensors", tensors);
}

// f16 weights: the embedding and the matmuls read them where the file has them (the tied head is
// the embedding table itself), the norms are converted at load. The reference is the f32
// model's, so the tolerance covers f16 rounding of the weights.
TEST(LlamaModel, LoadsHalfPrecisionWeights) {
  NamedTensors tensors = folder_tensors(fixture("llama_tied"));
  for (auto& named : tensors) named.second = named.second.to(DType::f16);
  TempDir dir;
  write_model(dir, "llama_tied", tensors);
  const auto model = LlamaModel::load(dir.path());
  EXPECT_EQ(model.weights().embed_tokens.dtype(), DType::f16);
  EXPECT_EQ(model.weights().layers[0].q_proj.dtype(), DType::f16);
  EXPECT_EQ(model.weights().layers[0].input_norm.dtype(), DType::f32);
  EXPECT_EQ(model.weights().lm_head.data<uint16_t>(),
            model.weights().embed_tokens.data<uint16_t>());
  const auto reference = SafetensorsFile::open(fixture("llama_tied") / "reference.safetensors");
  const Tensor logits = model.forward(reference.tensor("input_ids").to(DType::i32));
  for (int64_t row = 0; row < 2; ++row) {
    EXPECT_LT(max_row_error(logits, reference.tensor("logits"), row), 1e-2f) << "row " << row;
  }
}

TEST(LlamaModel, MissingTensorNamesItAndItsShape) {
  NamedTensors tensors = folder_tensors(fixture("qwen2"));
  std::erase_if(tensors, [](const auto& named) {
    return named.first == "model.layers.1.self_attn.k_proj.bias";
  });
  TempDir dir;
  write_model(dir, "qwen2", tensors);
  const std::string message = error_of([&] { LlamaModel::load(dir.path()); });
  EXPECT_THAT(message, HasSubstr(dir.path().string()));
  EXPECT_THAT(message, HasSubstr("missing tensor \"model.layers.1.self_attn.k_proj.bias\""));
  EXPECT_THAT(message, HasSubstr("[32]"));
}

TEST(LlamaModel, UntiedModelNeedsItsHead) {
  NamedTensors tensors = folder_tensors(fixture("qwen3"));
  std::erase_if(tensors, [](const auto& named) { return named.first == "lm_head.weight"; });
  TempDir dir;
  write_model(dir, "qwen3", tensors);
  EXPECT_THAT(error_of([&] { LlamaModel::load(dir.path()); }),
              HasSubstr("missing tensor \"lm_head.weight\" (expected [320, 64] from config.json)"));
}

TEST(LlamaModel, WrongShapeNamesTensorAndBothShapes) {
  NamedTensors tensors = folder_tensors(fixture("llama_gqa_untied"));
  for (auto& [name, tensor] : tensors) {
    if (name == "model.layers.0.self_attn.k_proj.weight")
      tensor = Tensor::zeros({16, 64}, DType::f32);
  }
  TempDir dir;
  write_model(dir, "llama_gqa_untied", tensors);
  EXPECT_THAT(error_of([&] { LlamaModel::load(dir.path()); }),
              HasSubstr("tensor \"model.layers.0.self_attn.k_proj.weight\" has shape [16, 64], "
                        "expected [32, 64] from config.json"));
}

TEST(LlamaModel, RefusesBadInputIds) {
  const auto model = LlamaModel::load(fixture("llama_tied"));
  EXPECT_THAT(error_of([&] {
                model.forward(Tensor::zeros({2, 3}, DType::i64));
              }),
              HasSubstr("input_ids must be i32 [B, T]"));
}

}  // namespace
}  // namespace retune::model
