// generate() against transformers' greedy continuations, and its stopping rules.
#include "model/generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/device.h"
#include "io/safetensors_file.h"
#include "model/trainable_weights.h"
#include "support/error_of.h"
#include "support/model_parity.h"

namespace retune::model {
namespace {

using testing::HasSubstr;

// Row `row` of a fixture's i64 [2, N] reference tensor, columns [begin, end).
std::vector<int32_t> reference_ids(const std::string& model, const char* name, int64_t row,
                                   int64_t begin, int64_t end) {
  const Tensor ids = SafetensorsFile::open(hf_model_fixture(model) / "reference.safetensors")
                         .tensor(name)
                         .to(DType::i32);
  const Tensor part = ids.select(0, row).slice(0, begin, end).contiguous();
  return {part.data<int32_t>(), part.data<int32_t>() + part.numel()};
}

GenerationOptions greedy(int64_t max_new_tokens) {
  GenerationOptions options;
  options.max_new_tokens = max_new_tokens;
  return options;
}

class GeneratorFixture : public testing::TestWithParam<std::string> {};

// transformers' generate(do_sample=False) from each 12-token prompt: 8 tokens, exactly.
TEST_P(GeneratorFixture, GreedyMatchesTransformers) {
  const std::unique_ptr<CausalLm> model = load_causal_lm(hf_model_fixture(GetParam()));
  for (int64_t row = 0; row < 2; ++row) {
    const std::vector<int32_t> prompt = reference_ids(GetParam(), "input_ids", row, 0, 12);
    const GenerationResult result = generate(*model, prompt, greedy(8));
    EXPECT_EQ(result.ids, reference_ids(GetParam(), "greedy_ids", row, 12, 20)) << "row " << row;
    EXPECT_EQ(result.reason, StopReason::max_tokens);
  }
}

// On a GPU (the KV cache there, bf16 products) each greedy token is the CPU's choice up to the
// products' rounding: given the same prefix, its CPU logit is within 2e-2 (plus 1% of the
// largest) of the largest. A cache that kept the wrong keys would pick far worse ones.
TEST_P(GeneratorFixture, GpuGreedyTokensAreTheCpusUpToRounding) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  const std::unique_ptr<CausalLm> cpu = load_causal_lm(hf_model_fixture(GetParam()));
  const std::unique_ptr<CausalLm> on_gpu = load_causal_lm(hf_model_fixture(GetParam()));
  move_weights(*on_gpu, gpu);
  for (int64_t row = 0; row < 2; ++row) {
    std::vector<int32_t> sequence = reference_ids(GetParam(), "input_ids", row, 0, 12);
    const GenerationResult result = generate(*on_gpu, sequence, greedy(8));
    ASSERT_EQ(result.ids.size(), 8u);
    sequence.insert(sequence.end(), result.ids.begin(), result.ids.end());
    const auto length = static_cast<int64_t>(sequence.size());
    const Tensor logits =
        cpu->forward(Tensor::from_vector<int32_t>({1, length}, DType::i32, sequence));
    const int64_t V = logits.size(2);
    for (size_t i = 0; i < result.ids.size(); ++i) {
      const float* z = logits.data<float>() + (11 + static_cast<int64_t>(i)) * V;
      const float largest = *std::max_element(z, z + V);
      EXPECT_GE(z[result.ids[i]], largest - 2e-2f - 1e-2f * std::fabs(largest))
          << "row " << row << " token " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GeneratorFixture,
                         testing::Values("llama_gqa_untied", "llama_tied", "llama_bf16", "qwen2",
                                         "qwen3", "gpt2"));

TEST(Generator, StopsAfterAStopTokenOrWhenTheCallerSaysSo) {
  const std::unique_ptr<CausalLm> model = load_causal_lm(hf_model_fixture("qwen3"));
  const std::vector<int32_t> prompt = reference_ids("qwen3", "input_ids", 0, 0, 12);
  const std::vector<int32_t> greedy_ids = reference_ids("qwen3", "greedy_ids", 0, 12, 20);
  GenerationOptions options = greedy(8);
  options.stop_ids = {greedy_ids[3], 9999};
  GenerationResult result = generate(*model, prompt, options);
  // Up to the first time greedy_ids[3] comes.
  const auto stop = std::find(greedy_ids.begin(), greedy_ids.end(), greedy_ids[3]) + 1;
  EXPECT_EQ(result.ids, std::vector<int32_t>(greedy_ids.begin(), stop));
  EXPECT_EQ(result.reason, StopReason::stop_token);

  std::vector<int32_t> seen;
  result = generate(*model, prompt, greedy(8), [&](int32_t token) {
    seen.push_back(token);
    return seen.size() < 2;
  });
  EXPECT_EQ(result.ids, seen);
  EXPECT_EQ(result.ids, std::vector<int32_t>(greedy_ids.begin(), greedy_ids.begin() + 2));
  EXPECT_EQ(result.reason, StopReason::caller);

  EXPECT_TRUE(generate(*model, prompt, greedy(0)).ids.empty());
}

// GPT-2 has 128 learned positions: a 126-token prompt leaves room for 3 new tokens (the last
// one is never fed back).
TEST(Generator, StopsAtGpt2sLastPosition) {
  const std::unique_ptr<CausalLm> model = load_causal_lm(hf_model_fixture("gpt2"));
  const GenerationResult result = generate(*model, std::vector<int32_t>(126, 7), greedy(10));
  EXPECT_EQ(result.ids.size(), 3u);
  EXPECT_EQ(result.reason, StopReason::context);
  EXPECT_THAT(error_of([&] { generate(*model, std::vector<int32_t>(129, 7), greedy(1)); }),
              HasSubstr("generate: the prompt's 129 tokens exceed the model's 128 positions"));
  EXPECT_THAT(error_of([&] { generate(*model, {}, greedy(1)); }),
              HasSubstr("generate: the prompt has no tokens"));
}

TEST(Generator, SamplingIsReproducibleBySeed) {
  const std::unique_ptr<CausalLm> model = load_causal_lm(hf_model_fixture("llama_tied"));
  const std::vector<int32_t> prompt = reference_ids("llama_tied", "input_ids", 1, 0, 12);
  GenerationOptions options = greedy(16);
  options.sampling = {.do_sample = true, .temperature = 1.5, .top_k = 100, .seed = 5};
  const std::vector<int32_t> first = generate(*model, prompt, options).ids;
  EXPECT_EQ(generate(*model, prompt, options).ids, first);
  options.sampling.seed = 6;
  EXPECT_NE(generate(*model, prompt, options).ids, first);
}

}  // namespace
}  // namespace retune::model
