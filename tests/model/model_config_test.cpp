#include "model/model_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "io/safetensors_file.h"
#include "model/rope_frequencies.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::model {
namespace {

using nlohmann::json;
using testing::HasSubstr;

std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "models" / name;
}

json fixture_json(const std::string& name) {
  return json::parse(read_file(fixture(name) / "config.json"));
}

// Writes `config` as `dir`/config.json and loads it back.
ModelConfig load_written(const TempDir& dir, const json& config) {
  write_file(dir / "config.json", config.dump(2));
  return load_model_config(dir.path());
}

TEST(ModelConfig, ParsesLlamaWithGroupedQueriesAndLlama3Rope) {
  const ModelConfig config = load_model_config(fixture("llama_gqa_untied"));
  EXPECT_EQ(config.architecture, Architecture::llama);
  EXPECT_EQ(config.hidden_size, 64);
  EXPECT_EQ(config.intermediate_size, 128);
  EXPECT_EQ(config.num_hidden_layers, 2);
  EXPECT_EQ(config.num_attention_heads, 4);
  EXPECT_EQ(config.num_key_value_heads, 2);
  EXPECT_EQ(config.head_dim, 16);
  EXPECT_EQ(config.vocab_size, 320);
  EXPECT_DOUBLE_EQ(config.rms_norm_eps, 1e-5);
  EXPECT_FALSE(config.tie_word_embeddings);
  EXPECT_FALSE(config.qkv_bias);
  EXPECT_FALSE(config.o_bias);
  EXPECT_FALSE(config.qk_norm);
  EXPECT_EQ(config.rope.type, RopeType::llama3);
  EXPECT_DOUBLE_EQ(config.rope.theta, 500000.0);
  EXPECT_DOUBLE_EQ(config.rope.factor, 8.0);
  EXPECT_DOUBLE_EQ(config.rope.low_freq_factor, 1.0);
  EXPECT_DOUBLE_EQ(config.rope.high_freq_factor, 4.0);
  EXPECT_EQ(config.rope.original_max_position_embeddings, 64);
  EXPECT_EQ(config.rotary_dims(), 16);
}

TEST(ModelConfig, QwenAttentionVariants) {
  const ModelConfig qwen2 = load_model_config(fixture("qwen2"));
  EXPECT_EQ(qwen2.architecture, Architecture::qwen2);
  EXPECT_TRUE(qwen2.qkv_bias);  // no attention_bias field: Qwen2 always has q/k/v biases
  EXPECT_FALSE(qwen2.o_bias);
  EXPECT_FALSE(qwen2.qk_norm);
  EXPECT_TRUE(qwen2.tie_word_embeddings);
  EXPECT_EQ(qwen2.head_dim, 16);  // hidden / heads
  EXPECT_EQ(qwen2.rope.type, RopeType::default_);
  EXPECT_DOUBLE_EQ(qwen2.rope.theta, 1e6);

  const ModelConfig qwen3 = load_model_config(fixture("qwen3"));
  EXPECT_EQ(qwen3.architecture, Architecture::qwen3);
  EXPECT_FALSE(qwen3.qkv_bias);
  EXPECT_TRUE(qwen3.qk_norm);
  EXPECT_FALSE(qwen3.tie_word_embeddings);
}

TEST(ModelConfig, DefaultsForKeyValueHeadsAndHeadDim) {
  json config = fixture_json("llama_tied");
  config.erase("num_key_value_heads");
  config["head_dim"] = nullptr;
  TempDir dir;
  const ModelConfig parsed = load_written(dir, config);
  EXPECT_EQ(parsed.num_key_value_heads, 4);
  EXPECT_EQ(parsed.head_dim, 16);
}

// transformers 4.x writes rope_theta at the top and rope_scaling (with "type" in older files).
TEST(ModelConfig, AcceptsTransformers4RopeStyle) {
  json config = fixture_json("llama_gqa_untied");
  const json parameters = config["rope_parameters"];
  config.erase("rope_parameters");
  config["rope_theta"] = parameters["rope_theta"];
  config["rope_scaling"] = {{"type", "llama3"},
                            {"factor", 8.0},
                            {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0},
                            {"original_max_position_embeddings", 64}};
  TempDir dir;
  const ModelConfig old_style = load_written(dir, config);
  const ModelConfig new_style = load_model_config(fixture("llama_gqa_untied"));
  EXPECT_EQ(old_style.rope.type, RopeType::llama3);
  EXPECT_DOUBLE_EQ(old_style.rope.theta, new_style.rope.theta);
  EXPECT_DOUBLE_EQ(old_style.rope.factor, new_style.rope.factor);
  EXPECT_EQ(old_style.rope.original_max_position_embeddings, 64);
  EXPECT_EQ(rope_frequencies(old_style).to_f32_vector(),
            rope_frequencies(new_style).to_f32_vector());

  config["rope_scaling"] = nullptr;
  config["rope_theta"] = 100000.0;
  const ModelConfig unscaled = load_written(dir, config);
  EXPECT_EQ(unscaled.rope.type, RopeType::default_);
  EXPECT_DOUBLE_EQ(unscaled.rope.theta, 100000.0);
}

TEST(ModelConfig, MissingFieldNamesFileAndField) {
  json config = fixture_json("qwen3");
  config.erase("intermediate_size");
  TempDir dir;
  const std::string message = error_of([&] { load_written(dir, config); });
  EXPECT_THAT(message, HasSubstr("config.json"));
  EXPECT_THAT(message, HasSubstr("missing required field \"intermediate_size\""));
}

TEST(ModelConfig, MissingLlama3FieldNamesItsGroup) {
  json config = fixture_json("llama_gqa_untied");
  config["rope_parameters"].erase("low_freq_factor");
  TempDir dir;
  EXPECT_THAT(error_of([&] { load_written(dir, config); }),
              HasSubstr("missing required field \"rope_parameters.low_freq_factor\""));
}

TEST(ModelConfig, RefusesUnsupportedArchitecture) {
  json config = fixture_json("llama_tied");
  config["architectures"] = {"MambaForCausalLM"};
  TempDir dir;
  const std::string message = error_of([&] { load_written(dir, config); });
  EXPECT_THAT(message, HasSubstr("config.json"));
  EXPECT_THAT(message, HasSubstr("unsupported architecture \"MambaForCausalLM\""));
  EXPECT_THAT(message,
              HasSubstr("supported: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM"));
}

TEST(ModelConfig, RefusesUnsupportedRopeType) {
  json config = fixture_json("llama_tied");
  config["rope_parameters"]["rope_type"] = "yarn";
  TempDir dir;
  EXPECT_THAT(error_of([&] { load_written(dir, config); }),
              HasSubstr("unsupported rope_parameters.rope_type \"yarn\" (supported: default, "
                        "llama3)"));
}

TEST(ModelConfig, RefusesFieldOfWrongType) {
  json config = fixture_json("llama_tied");
  config["hidden_size"] = "64";
  TempDir dir;
  EXPECT_THAT(error_of([&] { load_written(dir, config); }),
              HasSubstr("field \"hidden_size\" must be a positive integer of at most 65536, "
                        "got \"64\""));
}

// Sizes past the bounds (far above any released model) are refused before anything is sized by
// them, so no product of sizes can overflow.
TEST(ModelConfig, RefusesSizesPastTheirBounds) {
  TempDir dir;
  const auto error_with = [&](const std::string& field, json value) {
    json config = fixture_json("llama_tied");
    config[field] = value;
    return error_of([&] { load_written(dir, config); });
  };
  EXPECT_THAT(error_with("vocab_size", int64_t{1} << 40),
              HasSubstr("field \"vocab_size\" must be a positive integer of at most 16777216, "
                        "got 1099511627776"));
  EXPECT_THAT(error_with("intermediate_size", uint64_t{1} << 63),
              HasSubstr("field \"intermediate_size\" must be a positive integer of at most "
                        "1048576, got 9223372036854775808"));
  EXPECT_THAT(error_with("num_hidden_layers", 4097),
              HasSubstr("field \"num_hidden_layers\" must be a positive integer of at most 4096"));
  EXPECT_THAT(error_with("head_dim", -3), HasSubstr("field \"head_dim\" must be a positive"));
}

// The frequencies transformers computed (the fixture's rope_inv_freq), default and llama3.
TEST(ModelRopeFrequencies, MatchTransformers) {
  for (const char* name : {"llama_gqa_untied", "llama_tied", "llama_bf16", "qwen2", "qwen3"}) {
    SCOPED_TRACE(name);
    const auto reference = SafetensorsFile::open(fixture(name) / "reference.safetensors");
    const std::vector<float> expected = reference.tensor("rope_inv_freq").to_f32_vector();
    const std::vector<float> actual =
        rope_frequencies(load_model_config(fixture(name))).to_f32_vector();
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_FLOAT_EQ(actual[i], expected[i]) << i;
  }
}

}  // namespace
}  // namespace retune::model
