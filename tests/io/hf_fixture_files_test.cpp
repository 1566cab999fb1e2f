// The safetensors reader on files written by Hugging Face transformers and the safetensors
// library (tests/fixtures/hf, made by tools/fixtures/make_hf_fixtures.py).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "io/safetensors_model.h"

namespace retune {
namespace {

const std::filesystem::path kModels = std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "models";

struct FixtureModel {
  std::string name;
  std::string embedding;  // the token embedding's name in the file
  DType dtype;
};

TEST(SafetensorsHfFixtures, ModelsLoadZeroCopyWithTheirDtypes) {
  const FixtureModel models[] = {
      {"llama_gqa_untied", "model.embed_tokens.weight", DType::f32},
      {"llama_tied", "model.embed_tokens.weight", DType::f32},
      {"llama_bf16", "model.embed_tokens.weight", DType::bf16},
      {"qwen2", "model.embed_tokens.weight", DType::f32},
      {"qwen3", "model.embed_tokens.weight", DType::f32},
      {"gpt2", "transformer.wte.weight", DType::f32},
  };
  for (const FixtureModel& model : models) {
    SCOPED_TRACE(model.name);
    const SafetensorsModel weights = SafetensorsModel::open(kModels / model.name);
    ASSERT_TRUE(weights.has(model.embedding));
    const Tensor embedding = weights.tensor(model.embedding);
    EXPECT_EQ(embedding.dtype(), model.dtype);
    EXPECT_EQ(embedding.size(0), 320);
    EXPECT_EQ(embedding.storage()->origin(), StorageOrigin::mapped);
    for (const std::string& name : weights.names())
      EXPECT_EQ(weights.info(name).dtype, model.dtype);
  }
}

TEST(SafetensorsHfFixtures, ReferenceOutputsHaveTheirShapes) {
  const SafetensorsFile reference =
      SafetensorsFile::open(kModels / "llama_gqa_untied" / "reference.safetensors");
  EXPECT_EQ(reference.info("input_ids").dtype, DType::i64);
  EXPECT_EQ(reference.info("input_ids").shape, (Shape{2, 12}));
  EXPECT_EQ(reference.info("logits").dtype, DType::f32);
  EXPECT_EQ(reference.info("logits").shape, (Shape{2, 12, 320}));
  EXPECT_EQ(reference.info("greedy_ids").shape, (Shape{2, 20}));
}

}  // namespace
}  // namespace retune
