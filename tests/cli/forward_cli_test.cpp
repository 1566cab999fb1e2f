// `retune forward` end to end: the file it writes holds transformers' logits for the fixture
// inputs, and bad input is one line on stderr, exit code 1 and no file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "io/safetensors_file.h"
#include "model/causal_lm.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"
#include "tokenizer/tokenizer.h"

namespace retune {
namespace {

using testing::StartsWith;

// "--model <fixture> ... --out <dir>/out.safetensors" and the output's path.
struct ForwardRun {
  RetuneRun run;
  std::filesystem::path out;
};

ForwardRun run_forward(const TempDir& dir, const std::string& model, const std::string& input,
                       bool merge_stderr = false) {
  const std::filesystem::path out = dir / "out.safetensors";
  return {run_retune("forward --model " + hf_model_fixture(model).string() + " " + input +
                         " --out " + out.string(),
                     merge_stderr),
          out};
}

// The ids of an integer tensor.
std::vector<int32_t> ids_of(const Tensor& ids) {
  const Tensor i32 = ids.to(DType::i32).contiguous();
  return {i32.data<int32_t>(), i32.data<int32_t>() + i32.numel()};
}

// Row 0 of the fixture's input_ids.
std::vector<int32_t> reference_row(const std::string& model) {
  return ids_of(SafetensorsFile::open(hf_model_fixture(model) / "reference.safetensors")
                    .tensor("input_ids")
                    .select(0, 0));
}

class ForwardCliFixture : public testing::TestWithParam<std::string> {};

TEST_P(ForwardCliFixture, WritesTransformersLogitsForTheIds) {
  const std::vector<int32_t> ids = reference_row(GetParam());
  std::string list;
  for (const int32_t id : ids) {
    if (!list.empty()) list += ',';
    list += std::to_string(id);
  }
  TempDir dir;
  const ForwardRun forward = run_forward(dir, GetParam(), "--ids " + list);
  ASSERT_EQ(forward.run.exit_code, 0) << forward.run.out;
  EXPECT_EQ(forward.run.out, forward.out.string() + ": input_ids i64[12], logits f32[12, 320]\n");
  const SafetensorsFile written = SafetensorsFile::open(forward.out);
  EXPECT_EQ(written.tensor("input_ids").dtype(), DType::i64);
  EXPECT_EQ(ids_of(written.tensor("input_ids")), ids);
  const Tensor want = SafetensorsFile::open(hf_model_fixture(GetParam()) / "reference.safetensors")
                          .tensor("logits")
                          .select(0, 0);
  const Tensor got = written.tensor("logits");
  ASSERT_EQ(got.shape(), want.shape());
  const std::vector<float> g = got.to_f32_vector();
  const std::vector<float> w = want.contiguous().to_f32_vector();
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], 1e-4f) << i;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ForwardCliFixture,
                         testing::Values("llama_gqa_untied", "llama_bf16", "qwen3", "gpt2"));

// --text goes through the model folder's tokenizer, special tokens included (Llama 3's bos).
TEST(ForwardCli, EncodesTextWithTheModelsTokenizer) {
  TempDir dir;
  const std::string text = "Hello, world!";
  const ForwardRun forward = run_forward(dir, "llama_gqa_untied", "--text " + shell_quote(text));
  ASSERT_EQ(forward.run.exit_code, 0) << forward.run.out;
  Tokenizer tokenizer = Tokenizer::load(hf_model_fixture("llama_gqa_untied"));
  const std::vector<int32_t> ids = tokenizer.encode(text, true);
  ASSERT_EQ(ids.front(), 1);  // <|begin_of_text|>
  const SafetensorsFile written = SafetensorsFile::open(forward.out);
  EXPECT_EQ(ids_of(written.tensor("input_ids")), ids);
  const auto model = model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
  const auto tokens = static_cast<int64_t>(ids.size());
  EXPECT_EQ(
      written.tensor("logits").to_f32_vector(),
      model->forward(Tensor::from_vector<int32_t>({1, tokens}, DType::i32, ids)).to_f32_vector());
}

// Each bad input: exit code 1, one line naming the problem, and no output file.
TEST(ForwardCli, RefusesBadInputInOneLine) {
  const std::string model = hf_model_fixture("qwen2").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--ids 1,x,3",
       "retune: error: --ids: expected token ids >= 0 separated by commas, got "
       "\"x,3\""},
      {"--ids '4;5'", "retune: error: --ids: expected a comma after token id 4, got \";5\""},
      {"--ids 1,-2", "retune: error: --ids: expected token ids >= 0 separated by commas"},
      {"--ids 5,320",
       "retune: error: token id 320 is outside the vocabulary of " + model + " (ids 0..319)"},
      {"--text '' --no-special", "retune: error: the text has no tokens"},
  };
  for (const auto& [input, message] : cases) {
    SCOPED_TRACE(input);
    TempDir dir;
    const ForwardRun forward = run_forward(dir, "qwen2", input, true);
    EXPECT_EQ(forward.run.exit_code, 1);
    EXPECT_THAT(forward.run.out, StartsWith(message));
    EXPECT_EQ(std::count(forward.run.out.begin(), forward.run.out.end(), '\n'), 1);
    EXPECT_FALSE(std::filesystem::exists(forward.out));
  }
}

}  // namespace
}  // namespace retune
