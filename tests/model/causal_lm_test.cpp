// The KV cache path of every architecture against the full forward, and load_causal_lm's
// choice of class.
#include "model/causal_lm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/safetensors_file.h"
#include "support/error_of.h"
#include "support/model_parity.h"

namespace retune::model {
namespace {

using testing::HasSubstr;

// The fixture's input_ids, i32 [2, 12].
Tensor fixture_ids(const std::string& name) {
  return SafetensorsFile::open(hf_model_fixture(name) / "reference.safetensors")
      .tensor("input_ids")
      .to(DType::i32);
}

class CausalLmFixture : public testing::TestWithParam<std::string> {};

// A prompt of 5 tokens, then the other 7 one at a time through the cache, gives the logits of
// the full forward (both batch rows at once).
TEST_P(CausalLmFixture, CachedDecodingEqualsTheFullForward) {
  const std::unique_ptr<CausalLm> model = load_causal_lm(hf_model_fixture(GetParam()));
  const Tensor ids = fixture_ids(GetParam());
  const int64_t time = ids.size(1);
  const Tensor full = model->forward(ids);
  KvCache cache(model->config(), 2, time + 3);
  const int64_t prompt = 5;
  const Tensor prefill =
      model->logits(model->forward_hidden(ids.slice(1, 0, prompt).contiguous(), Tensor(), &cache));
  EXPECT_EQ(cache.length(), prompt);
  std::vector<Tensor> steps = {prefill};
  for (int64_t t = prompt; t < time; ++t) {
    steps.push_back(model->logits(
        model->forward_hidden(ids.slice(1, t, t + 1).contiguous(), Tensor(), &cache)));
  }
  EXPECT_EQ(cache.length(), time);
  int64_t at = 0;
  for (const Tensor& step : steps) {
    const int64_t tokens = step.size(1);
    const std::vector<float> got = step.contiguous().to_f32_vector();
    const std::vector<float> want = full.slice(1, at, at + tokens).contiguous().to_f32_vector();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5f) << at << " " << i;
    at += tokens;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CausalLmFixture,
                         testing::Values("llama_gqa_untied", "llama_tied", "llama_bf16", "qwen2",
                                         "qwen3", "gpt2"));

TEST(CausalLm, LoadsTheClassOfTheArchitecture) {
  EXPECT_EQ(load_causal_lm(hf_model_fixture("gpt2"))->config().architecture, Architecture::gpt2);
  EXPECT_EQ(load_causal_lm(hf_model_fixture("qwen3"))->config().architecture, Architecture::qwen3);
}

TEST(CausalLm, RefusesTokensBeyondTheCache) {
  const std::unique_ptr<CausalLm> model = load_causal_lm(hf_model_fixture("qwen2"));
  const Tensor ids = fixture_ids("qwen2");
  KvCache cache(model->config(), 2, 10);
  EXPECT_THAT(error_of([&] { model->forward_hidden(ids, Tensor(), &cache); }),
              HasSubstr("LlamaModel::forward: 12 new tokens after 0 do not fit the KV cache of 10 "
                        "tokens"));
  EXPECT_EQ(cache.length(), 0);
  KvCache single(model->config(), 1, 20);
  EXPECT_THAT(error_of([&] { model->forward_hidden(ids, Tensor(), &single); }),
              HasSubstr("LlamaModel::forward: 2 batch rows for a KV cache of 1"));
}

// GPT-2's learned positions end at n_positions (128 in the fixture), cached or not.
TEST(CausalLm, Gpt2CachedPositionsStopAtTheTable) {
  const std::unique_ptr<CausalLm> model = load_causal_lm(hf_model_fixture("gpt2"));
  KvCache cache(model->config(), 1, 200);
  model->forward_hidden(Tensor::zeros({1, 128}, DType::i32), Tensor(), &cache);
  EXPECT_THAT(error_of([&] {
                model->forward_hidden(Tensor::zeros({1, 1}, DType::i32), Tensor(), &cache);
              }),
              HasSubstr("position 128 (batch row 0, token 0) is outside [0, 128)"));
}

}  // namespace
}  // namespace retune::model
