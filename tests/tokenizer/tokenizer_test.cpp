// Tokenizer against the Hugging Face golden fixtures (tests/fixtures/hf/tokenizers, made by
// tools/fixtures/make_hf_fixtures.py with tokenizers 0.23.2 / transformers 5.17), and its
// refusals of missing, malformed and unsupported files.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "tokenizers" / name;
}

// Every case of a reference file made by make_hf_fixtures.py: ids with and without special
// tokens, decoding with and without them, and rendered chats encoded as apply_chat_template.
void expect_matches_reference(const std::filesystem::path& folder, const std::string& file) {
  Tokenizer tokenizer = Tokenizer::load(folder);
  auto reference = nlohmann::json::parse(read_file(folder / file));
  ASSERT_FALSE(reference.at("cases").empty());
  for (const auto& test_case : reference.at("cases")) {
    auto text = test_case.at("text").get<std::string>();
    SCOPED_TRACE("text: " + text);
    auto ids = test_case.at("ids").get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer.encode(text, false), ids);
    auto ids_with_special = test_case.at("ids_with_special").get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer.encode(text, true), ids_with_special);
    EXPECT_EQ(tokenizer.decode(ids, false), test_case.at("decoded").get<std::string>());
    EXPECT_EQ(tokenizer.decode(ids, true), test_case.at("decoded_skip_special").get<std::string>());
    if (test_case.contains("decoded_with_special")) {
      EXPECT_EQ(tokenizer.decode(ids_with_special, false),
                test_case.at("decoded_with_special").get<std::string>());
    }
  }
  for (const auto& chat : reference.value("chat", nlohmann::json::array())) {
    auto rendered = chat.at("rendered").get<std::string>();
    SCOPED_TRACE("chat: " + rendered);
    EXPECT_EQ(tokenizer.encode(rendered, false), chat.at("ids").get<std::vector<int32_t>>());
  }
}

class TokenizerFixture : public testing::TestWithParam<std::string> {};

TEST_P(TokenizerFixture, MatchesEveryReferenceCase) {
  expect_matches_reference(fixture(GetParam()), "reference.json");
}

INSTANTIATE_TEST_SUITE_P(TokenizerHf, TokenizerFixture,
                         testing::Values("bytelevel_gpt2", "bytelevel_llama3", "bytelevel_qwen2",
                                         "sentencepiece_bpe"),
                         [](const testing::TestParamInfo<std::string>& name) {
                           return name.param;
                         });

// The 320-token tokenizers of the fixture models (tools/fixtures: --model-tokenizers-only).
class ModelTokenizerFixture : public testing::TestWithParam<std::string> {};

TEST_P(ModelTokenizerFixture, MatchesEveryReferenceCase) {
  expect_matches_reference(
      std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "models" / GetParam(),
      "tokenizer_reference.json");
}

INSTANTIATE_TEST_SUITE_P(TokenizerHf, ModelTokenizerFixture,
                         testing::Values("llama_gqa_untied", "llama_tied", "llama_bf16", "qwen2",
                                         "qwen3", "gpt2"));

TEST(Tokenizer, ReadsBosAndEosFromTheConfig) {
  Tokenizer tokenizer = Tokenizer::load(fixture("sentencepiece_bpe"));
  EXPECT_EQ(tokenizer.bos_id(), 1);
  EXPECT_EQ(tokenizer.eos_id(), 2);
  EXPECT_EQ(tokenizer.token_to_id("<0x41>"), 68);
}

TEST(Tokenizer, RefusesAMissingFile) {
  TempDir dir;
  EXPECT_NE(error_of([&] { Tokenizer::load(dir.path()); }).find("tokenizer.json: cannot open"),
            std::string::npos);
}

TEST(Tokenizer, RefusesMalformedJson) {
  TempDir dir;
  write_file(dir / "tokenizer.json", "{\"model\": ");
  EXPECT_NE(error_of([&] { Tokenizer::load(dir.path()); }).find("tokenizer.json: invalid JSON"),
            std::string::npos);
}

// tokenizer.json with the given model and normalizer nodes and nothing else.
std::string minimal_tokenizer_json(const std::string& model, const std::string& normalizer) {
  return R"({"added_tokens": [], "normalizer": )" + normalizer +
         R"(, "pre_tokenizer": null, "post_processor": null, "decoder": null, "model": )" + model +
         "}";
}

TEST(Tokenizer, RefusesAnUnsupportedModelType) {
  TempDir dir;
  write_file(dir / "tokenizer.json",
             minimal_tokenizer_json(R"({"type": "WordPiece", "vocab": {"a": 0}})", "null"));
  std::string error = error_of([&] { Tokenizer::load(dir.path()); });
  EXPECT_NE(error.find("tokenizer.json"), std::string::npos) << error;
  EXPECT_NE(error.find("unsupported tokenizer model type \"WordPiece\""), std::string::npos)
      << error;
}

TEST(Tokenizer, RefusesAnUnsupportedNormalizer) {
  TempDir dir;
  write_file(dir / "tokenizer.json",
             minimal_tokenizer_json(R"({"type": "BPE", "vocab": {"a": 0}, "merges": []})",
                                    R"({"type": "NFKC"})"));
  EXPECT_NE(
      error_of([&] { Tokenizer::load(dir.path()); }).find("unsupported normalizer type \"NFKC\""),
      std::string::npos);
}

TEST(Tokenizer, RefusesTextThatNfcWouldChange) {
  Tokenizer tokenizer = Tokenizer::load(fixture("bytelevel_qwen2"));
  // "e" + COMBINING ACUTE ACCENT composes to "é" under NFC.
  EXPECT_NE(error_of([&] { tokenizer.encode("cafe\xCC\x81", false); }).find("U+0301"),
            std::string::npos);
}

TEST(Tokenizer, RefusesInvalidUtf8AndUnknownIds) {
  Tokenizer tokenizer = Tokenizer::load(fixture("bytelevel_gpt2"));
  EXPECT_NE(error_of([&] { tokenizer.encode("a\xFF", false); }).find("not valid UTF-8"),
            std::string::npos);
  EXPECT_NE(error_of([&] { tokenizer.decode({100000}, false); }).find("100000"), std::string::npos);
}

}  // namespace
}  // namespace retune
