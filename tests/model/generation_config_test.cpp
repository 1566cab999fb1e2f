#include "model/generation_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::model {
namespace {

using nlohmann::json;
using testing::ElementsAre;
using testing::HasSubstr;

// Writes `text` as `dir`/generation_config.json and loads it back.
GenerationConfig load_written(const TempDir& dir, const std::string& text) {
  write_file(dir / "generation_config.json", text);
  return load_generation_config(dir.path());
}

// The error that parsing `config` gives, with "f.json" as its source.
std::string parse_error(const json& config) {
  return error_of([&] { parse_generation_config(config, "f.json"); });
}

void expect_default_sampling(const GenerationConfig& config) {
  EXPECT_FALSE(config.do_sample);
  EXPECT_DOUBLE_EQ(config.temperature, 1.0);
  EXPECT_EQ(config.top_k, 50);
  EXPECT_DOUBLE_EQ(config.top_p, 1.0);
  EXPECT_DOUBLE_EQ(config.min_p, 0.0);
  EXPECT_EQ(config.max_new_tokens, std::nullopt);
  EXPECT_EQ(config.max_length, 20);
}

// Without generation_config.json the token ids come from config.json, as transformers'
// GenerationConfig.from_model_config takes them.
TEST(GenerationConfig, FallsBackToConfigJson) {
  const TempDir dir;
  write_file(dir / "config.json",
             R"({"architectures": ["GPT2LMHeadModel"], "bos_token_id": 50256, "eos_token_id": 50256,
                 "n_embd": 768})");
  const GenerationConfig config = load_generation_config(dir.path());
  expect_default_sampling(config);
  EXPECT_EQ(config.eos_token_ids, std::vector<int32_t>{50256});
  EXPECT_EQ(config.bos_token_id, 50256);
}

TEST(GenerationConfig, DefaultsWithoutTheFile) {
  const TempDir dir;
  const GenerationConfig config = load_generation_config(dir.path());
  expect_default_sampling(config);
  EXPECT_TRUE(config.eos_token_ids.empty());
  EXPECT_EQ(config.bos_token_id, std::nullopt);
  EXPECT_EQ(config.pad_token_id, std::nullopt);
}

TEST(GenerationConfig, ParsesTheQwen2Fixture) {
  const GenerationConfig config = load_generation_config(
      std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "models" / "qwen2");
  expect_default_sampling(config);
  EXPECT_THAT(config.eos_token_ids, ElementsAre(2));
  EXPECT_EQ(config.bos_token_id, 1);
  EXPECT_EQ(config.pad_token_id, std::nullopt);
}

TEST(GenerationConfig, ParsesLlama31InstructWithAnEosList) {
  // meta-llama/Llama-3.1-8B-Instruct's file.
  const TempDir dir;
  const GenerationConfig config = load_written(dir, R"({
    "bos_token_id": 128000,
    "do_sample": true,
    "eos_token_id": [128001, 128008, 128009],
    "temperature": 0.6,
    "top_p": 0.9,
    "transformers_version": "4.42.3"
  })");
  EXPECT_THAT(config.eos_token_ids, ElementsAre(128001, 128008, 128009));
  EXPECT_EQ(config.bos_token_id, 128000);
  const SamplingOptions options = sampling_options(config);
  EXPECT_TRUE(options.do_sample);
  EXPECT_DOUBLE_EQ(options.temperature, 0.6);
  EXPECT_EQ(options.top_k, 50);  // unset: transformers' default applies when sampling
  EXPECT_DOUBLE_EQ(options.top_p, 0.9);
  EXPECT_DOUBLE_EQ(options.min_p, 0.0);
  EXPECT_EQ(options.seed, 0u);
}

TEST(GenerationConfig, ParsesQwen25InstructIgnoringUnreadFields) {
  // Qwen/Qwen2.5-7B-Instruct's file.
  const GenerationConfig config = parse_generation_config(json::parse(R"({
    "bos_token_id": 151643,
    "pad_token_id": 151643,
    "do_sample": true,
    "eos_token_id": [151645, 151643],
    "repetition_penalty": 1.05,
    "temperature": 0.7,
    "top_p": 0.8,
    "top_k": 20,
    "transformers_version": "4.37.0"
  })"),
                                                          "f.json");
  EXPECT_THAT(config.eos_token_ids, ElementsAre(151645, 151643));
  EXPECT_EQ(config.pad_token_id, 151643);
  EXPECT_EQ(config.top_k, 20);
  EXPECT_DOUBLE_EQ(config.top_p, 0.8);
  EXPECT_DOUBLE_EQ(config.temperature, 0.7);
}

TEST(GenerationConfig, NullMeansUnset) {
  const GenerationConfig config = parse_generation_config(
      {{"eos_token_id", nullptr}, {"top_k", nullptr}, {"max_length", nullptr}}, "f.json");
  expect_default_sampling(config);
  EXPECT_TRUE(config.eos_token_ids.empty());
}

TEST(GenerationConfig, LengthsAndMinP) {
  const GenerationConfig config = parse_generation_config(
      {{"max_new_tokens", 64}, {"max_length", 4096}, {"min_p", 0.05}, {"pad_token_id", -1}},
      "f.json");
  EXPECT_EQ(config.max_new_tokens, 64);
  EXPECT_EQ(config.max_length, 4096);
  EXPECT_DOUBLE_EQ(config.min_p, 0.05);
  EXPECT_EQ(config.pad_token_id, -1);  // early Llama conversions; transformers only warns
}

TEST(GenerationConfig, GreedyIgnoresSamplingRanges) {
  // transformers builds no warpers without do_sample, so it loads such files.
  const GenerationConfig config =
      parse_generation_config({{"do_sample", false}, {"temperature", 0.0}}, "f.json");
  EXPECT_DOUBLE_EQ(config.temperature, 0.0);
}

TEST(GenerationConfig, RejectsWrongTypesAndRanges) {
  EXPECT_EQ(parse_error({{"temperature", "hot"}}),
            R"(f.json: field "temperature" must be a number, got "hot")");
  EXPECT_EQ(parse_error({{"do_sample", 1}}),
            R"(f.json: field "do_sample" must be true or false, got 1)");
  EXPECT_EQ(parse_error({{"top_k", 2.5}}),
            R"(f.json: field "top_k" must be an integer >= 0, got 2.5)");
  EXPECT_EQ(parse_error({{"max_new_tokens", 0}}),
            R"(f.json: field "max_new_tokens" must be an integer >= 1, got 0)");
  EXPECT_EQ(parse_error({{"eos_token_id", {1, "2"}}}),
            R"(f.json: field "eos_token_id" must be an int32 token id or a list of them, got "2")");
  EXPECT_EQ(parse_error({{"bos_token_id", 4294967296}}),
            R"(f.json: field "bos_token_id" must be an int32 token id, got 4294967296)");
  EXPECT_EQ(parse_error({{"do_sample", true}, {"top_p", 1.5}}),
            "f.json: top_p must be in [0, 1], got 1.5");
  EXPECT_EQ(parse_error(json::array()), "f.json: expected a JSON object, got array");
}

TEST(GenerationConfig, ErrorsNameTheFile) {
  const TempDir dir;
  const std::string path = (dir / "generation_config.json").string();
  EXPECT_EQ(error_of([&] { load_written(dir, R"({"temperature": "hot"})"); }),
            path + R"(: field "temperature" must be a number, got "hot")");
  EXPECT_THAT(error_of([&] { load_written(dir, "{\"do_sample\": tru"); }),
              HasSubstr(path + ": invalid JSON: "));
}

}  // namespace
}  // namespace retune::model
