// Model folders made by `retune init` as Hugging Face reads them: for each committed fixture
// (tools/fixtures/make_pretrain_fixtures.py), retune's tokenizer gives transformers' ids and
// decoded text, and retune's forward pass its logits.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/file_contents.h"
#include "model/causal_lm.h"
#include "tokenizer/tokenizer.h"

namespace retune {
namespace {

std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "pretrain" / name;
}

class PretrainHfParity : public testing::TestWithParam<std::string> {};

TEST_P(PretrainHfParity, TokenizerGivesTransformersIds) {
  const std::filesystem::path folder = fixture(GetParam());
  const nlohmann::json reference = read_json_file(folder / "reference.json");
  Tokenizer tokenizer = Tokenizer::load(folder);
  EXPECT_EQ(tokenizer.eos_id(), reference["tokenizer"]["eos_token_id"].get<int32_t>());
  EXPECT_EQ(tokenizer.bos_id(), reference["tokenizer"]["bos_token_id"].get<int32_t>());
  for (const nlohmann::json& text : reference["texts"]) {
    const std::string input = text["text"].get<std::string>();
    const std::vector<int32_t> ids = tokenizer.encode(input, true);
    EXPECT_EQ(ids, text["ids"].get<std::vector<int32_t>>()) << input;
    EXPECT_EQ(tokenizer.decode(ids, false), text["decoded"].get<std::string>()) << input;
  }
}

TEST_P(PretrainHfParity, ForwardGivesTransformersLogits) {
  const std::filesystem::path folder = fixture(GetParam());
  const nlohmann::json reference = read_json_file(folder / "reference.json");
  const auto input_ids = reference["logits"]["input_ids"].get<std::vector<int32_t>>();
  const auto expected = reference["logits"]["values"].get<std::vector<std::vector<float>>>();
  const auto model = model::load_causal_lm(folder);
  const auto length = static_cast<int64_t>(input_ids.size());
  const std::vector<float> logits =
      model->forward(Tensor::from_vector<int32_t>({1, length}, DType::i32, input_ids))
          .to_f32_vector();
  ASSERT_EQ(expected.size(), input_ids.size());
  const size_t vocab = expected[0].size();
  ASSERT_EQ(logits.size(), input_ids.size() * vocab);
  for (size_t t = 0; t < expected.size(); ++t) {
    for (size_t v = 0; v < vocab; ++v) {
      ASSERT_NEAR(logits[t * vocab + v], expected[t][v], 1e-5) << "position " << t << " id " << v;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PretrainHfParity,
                         testing::Values("llama_char", "qwen3_char", "gpt2_bpe"));

}  // namespace
}  // namespace retune
