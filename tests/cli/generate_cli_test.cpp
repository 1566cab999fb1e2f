// `retune generate` end to end: what it prints is the library's greedy continuation, decoded
// (the continuations themselves are checked against transformers in model/generator_test), with
// the chat template, stop strings, seeds and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "model/causal_lm.h"
#include "model/generator.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace retune {
namespace {

using testing::HasSubstr;
using testing::StartsWith;

constexpr int64_t kNewTokens = 12;

RetuneRun run_generate(const std::string& model, const std::string& flags,
                       bool merge_stderr = false) {
  return run_retune("generate --model " + hf_model_fixture(model).string() + " " + flags,
                    merge_stderr);
}

// The greedy continuation of `prompt` ids by the library, decoded without special tokens.
std::string greedy_text(const std::string& model_name, const std::vector<int32_t>& prompt) {
  const auto model = model::load_causal_lm(hf_model_fixture(model_name));
  model::GenerationOptions options;
  options.max_new_tokens = kNewTokens;
  const model::GenerationResult result = model::generate(*model, prompt, options);
  return Tokenizer::load(hf_model_fixture(model_name)).decode(result.ids, true);
}

const std::string kGreedy = "--greedy --ignore-eos --max-new-tokens " + std::to_string(kNewTokens);

class GenerateCliFixture : public testing::TestWithParam<std::string> {};

TEST_P(GenerateCliFixture, PrintsTheGreedyContinuation) {
  const std::string prompt = "The quick brown fox";
  const RetuneRun run = run_generate(GetParam(), "--prompt " + shell_quote(prompt) + " " + kGreedy);
  ASSERT_EQ(run.exit_code, 0);
  Tokenizer tokenizer = Tokenizer::load(hf_model_fixture(GetParam()));
  EXPECT_EQ(run.out, greedy_text(GetParam(), tokenizer.encode(prompt, true)) + "\n");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GenerateCliFixture,
                         testing::Values("llama_gqa_untied", "llama_tied", "llama_bf16", "qwen2",
                                         "qwen3", "gpt2"));

// --chat: the system and user messages through the folder's template (Llama 3, Qwen2.5's
// ChatML), ending with the assistant's header.
TEST(GenerateCli, ChatUsesTheModelsTemplate) {
  for (const std::string model : {"llama_gqa_untied", "qwen2"}) {
    SCOPED_TRACE(model);
    const RetuneRun run =
        run_generate(model, "--chat --system 'Be brief.' --prompt 'Hi there' " + kGreedy);
    ASSERT_EQ(run.exit_code, 0);
    Tokenizer tokenizer = Tokenizer::load(hf_model_fixture(model));
    const ChatTemplate chat = chat_template(hf_model_fixture(model), std::nullopt);
    const std::string bos =
        tokenizer.bos_id() ? tokenizer.decode({*tokenizer.bos_id()}, false) : "";
    const std::string rendered =
        render_chat(chat, {{"system", "Be brief."}, {"user", "Hi there"}}, true, bos);
    EXPECT_EQ(run.out, greedy_text(model, tokenizer.encode(rendered, false)) + "\n");
  }
}

// A --stop string ends the text just before it.
TEST(GenerateCli, StopsBeforeAStopString) {
  const RetuneRun full = run_generate("gpt2", "--prompt 'Once upon' " + kGreedy);
  ASSERT_EQ(full.exit_code, 0);
  ASSERT_GE(full.out.size(), 4u);
  const std::string stop = full.out.substr(2, 2);
  const RetuneRun stopped =
      run_generate("gpt2", "--prompt 'Once upon' --stop " + shell_quote(stop) + " " + kGreedy);
  EXPECT_EQ(stopped.out, full.out.substr(0, full.out.find(stop)) + "\n");
}

// Sampling repeats with a seed; --stats reports counts, speeds and the seed.
TEST(GenerateCli, SamplingRepeatsWithTheSeed) {
  const std::string flags =
      "--prompt 'Hello' --temperature 1.5 --top-k 40 --seed 7 "
      "--max-new-tokens 10 --ignore-eos";
  const RetuneRun first = run_generate("qwen3", flags);
  ASSERT_EQ(first.exit_code, 0);
  EXPECT_EQ(run_generate("qwen3", flags).out, first.out);
  const RetuneRun stats = run_generate("qwen3", flags + " --stats", true);
  EXPECT_THAT(stats.out, HasSubstr("4 prompt tokens in "));  // "Hello" is 4 byte-level tokens
  EXPECT_THAT(stats.out, HasSubstr("10 new tokens"));
  EXPECT_THAT(stats.out, HasSubstr("stopped at the max new tokens; seed 7\n"));
}

// Each bad input: exit code 1 and one line naming the problem.
TEST(GenerateCli, RefusesBadInputInOneLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--prompt hi --system x", "retune: error: --system and --chat-template need --chat\n"},
      {"--prompt hi --top-p 1.5", "retune: error: top_p must be in [0, 1], got 1.5\n"},
      {"--prompt hi --max-new-tokens -1",
       "retune: error: generate: max_new_tokens must be >= 0, got -1\n"},
      {"--prompt hi --chat --chat-template vicuna",
       "retune: error: --chat-template \"vicuna\" is not a chat template; the choices are: "
       "chatml, llama3\n"},
      {"--prompt hi --tokenizer /nonexistent/tokenizer",
       "retune: error: /nonexistent/tokenizer/tokenizer.json: cannot open: "},
      {"--prompt hi --device tpu",
       "retune: error: unknown device 'tpu': expected cpu, cuda or cuda:N\n"},
  };
  for (const auto& [flags, message] : cases) {
    SCOPED_TRACE(flags);
    const RetuneRun run = run_generate("qwen2", flags, true);
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_THAT(run.out, StartsWith(message));
    EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1);
  }
}

// --device: every model and adapter method runs on a GPU: GPT-2, and a Llama-family model with a
// DoRA, (IA)³ or Poly adapter, pass the checks and fail only for want of the device.
TEST(GenerateCli, TakesEveryModelAndAdapterToTheDevice) {
  const std::string fixtures = std::string(RETUNE_FIXTURES_DIR);
  const RetuneRun gpt2 = run_generate("gpt2", "--prompt hi --device cuda:7", true);
  EXPECT_EQ(gpt2.exit_code, 1);
  EXPECT_TRUE(refused_for_want_of(gpt2.out, "cuda:7")) << gpt2.out;
  for (const auto& [model, adapter] : std::vector<std::pair<std::string, std::string>>{
           {"qwen2", fixtures + "/peft/qwen2/dora/initial"},
           {"qwen2", fixtures + "/peft_methods/qwen2/ia3/adapter"},
           {"llama_gqa_untied", fixtures + "/peft_methods/llama_gqa_untied/poly/adapter"}}) {
    const RetuneRun run =
        run_generate(model, "--prompt hi --adapter " + adapter + " --device cuda:7", true);
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_TRUE(refused_for_want_of(run.out, "cuda:7")) << adapter << ": " << run.out;
  }
}

// On a GPU the command prints a continuation as long as asked (its tokens checked against the
// CPU's in model/generator_test).
TEST(GenerateCli, GpuPrintsAContinuation) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  const RetuneRun run = run_generate(
      "qwen2",
      "--prompt " + shell_quote("The quick brown fox") + " " + kGreedy + " --stats --device cuda",
      true);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_THAT(run.out, HasSubstr(std::to_string(kNewTokens) + " new tokens"));
}

}  // namespace
}  // namespace retune
