// S2FT on whole models: the co-permutation (at KV-group granularity under GQA) leaves the
// logits unchanged; the blocks' gradients through the model agree with central differences;
// fuse() gives the adapted model's function in the base's layout, changed only on the selected
// columns and rows (the sparse difference's entries).
#include "adapters/s2ft_model.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/random_tensor.h"
#include "model/llama_model.h"
#include "model/llama_training.h"
#include "support/central_difference.h"
#include "support/error_of.h"
#include "support/training_checks.h"

namespace retune::adapters {
namespace {

const S2ftOptions kMany{.o_ratio = 0.5, .d_ratio = 0.3, .v_ratio = 0.5, .u_ratio = 0.2, .seed = 6};

float max_error(const Tensor& a, const Tensor& b) {
  const std::vector<float> av = a.to_f32_vector(), bv = b.to_f32_vector();
  EXPECT_EQ(av.size(), bv.size());
  float worst = 0;
  for (size_t i = 0; i < av.size(); ++i) worst = std::max(worst, std::abs(av[i] - bv[i]));
  return worst;
}

std::map<std::string, Tensor> weights_of(model::CausalLm& lm) {
  std::map<std::string, Tensor> weights;
  for (const auto& [name, w] : model::named_weights(lm)) weights[name] = w.to(DType::f32).clone();
  return weights;
}

// One training step's loss with every base weight frozen (the blocks train).
float step(model::CausalLm& lm, const model::TokenBatch& batch) {
  const auto& llama = dynamic_cast<const model::LlamaModel&>(lm);
  model::LlamaWeights grads;
  grads.layers.resize(llama.weights().layers.size());
  return model::LlamaTraining(llama, grads).step(batch);
}

void randomize_blocks(const S2ftModel& s2ft) {
  uint64_t seed = 40;
  for (const AdapterParameter& p : s2ft.parameters()) {
    p.value.copy_from(uniform_tensor(p.value.shape(), seed++, -0.05, 0.05));
  }
}

class S2ftModelCase : public testing::TestWithParam<std::string> {};

TEST_P(S2ftModelCase, PermutationLeavesTheLogitsUnchanged) {
  const auto lm = model::load_causal_lm(hf_model_fixture(GetParam()));
  const model::TokenBatch batch = fixture_batch(GetParam());
  const Tensor before = lm->forward(batch.input_ids);
  const std::map<std::string, Tensor> base = weights_of(*lm);
  const S2ftModel s2ft = S2ftModel::attach(*lm, kMany);
  const Tensor after = lm->forward(batch.input_ids);
  EXPECT_LT(max_error(after, before), 1e-5);
  // The permutation moved whole KV groups: q rows by Hq / Hkv heads, k and v rows by one head.
  const model::ModelConfig& config = lm->config();
  const int64_t d = config.head_dim;
  const int64_t group = config.num_attention_heads / config.num_key_value_heads * d;
  const std::map<std::string, Tensor> permuted = weights_of(*lm);
  bool moved = false;
  for (size_t l = 0; l < s2ft.selection().size(); ++l) {
    const std::string prefix = "model.layers." + std::to_string(l) + ".self_attn.";
    const std::vector<int64_t>& order = s2ft.selection()[l].group_order;
    for (size_t p = 0; p < order.size(); ++p) {
      const auto to = static_cast<int64_t>(p), from = order[p];
      moved = moved || from != to;
      EXPECT_EQ(
          max_error(permuted.at(prefix + "q_proj.weight").slice(0, to * group, (to + 1) * group),
                    base.at(prefix + "q_proj.weight").slice(0, from * group, (from + 1) * group)),
          0.0f);
      EXPECT_EQ(max_error(permuted.at(prefix + "k_proj.weight").slice(0, to * d, (to + 1) * d),
                          base.at(prefix + "k_proj.weight").slice(0, from * d, (from + 1) * d)),
                0.0f);
      EXPECT_EQ(
          max_error(permuted.at(prefix + "o_proj.weight").slice(1, to * group, (to + 1) * group),
                    base.at(prefix + "o_proj.weight").slice(1, from * group, (from + 1) * group)),
          0.0f);
    }
  }
  EXPECT_TRUE(moved);
}

TEST_P(S2ftModelCase, BlockGradientsMatchCentralDifferences) {
  const auto lm = model::load_causal_lm(hf_model_fixture(GetParam()));
  const S2ftModel s2ft = S2ftModel::attach(*lm, kMany);
  randomize_blocks(s2ft);
  const model::TokenBatch batch = fixture_batch(GetParam());
  step(*lm, batch);
  const std::vector<AdapterParameter> parameters = s2ft.parameters();
  std::vector<Tensor> gradients;
  for (const AdapterParameter& p : parameters) gradients.push_back(p.grad.clone());
  const float eps = 1e-3f;
  uint64_t seed = 500;
  for (size_t i = 0; i < parameters.size(); ++i) {
    SCOPED_TRACE(parameters[i].name);
    const Tensor& value = parameters[i].value;
    const std::vector<float> u = uniform_tensor(value.shape(), seed++).to_f32_vector();
    const std::vector<float> g = gradients[i].to_f32_vector();
    double predicted = 0;
    for (size_t j = 0; j < g.size(); ++j) predicted += static_cast<double>(g[j]) * u[j];
    const double measured = central_difference(value, u, eps, [&] { return step(*lm, batch); });
    EXPECT_NEAR(measured, predicted, 2e-3 + 2e-2 * std::abs(predicted));
  }
}

TEST_P(S2ftModelCase, FuseKeepsTheFunctionAndChangesOnlyTheSelectedEntries) {
  const auto lm = model::load_causal_lm(hf_model_fixture(GetParam()));
  const std::map<std::string, Tensor> base = weights_of(*lm);
  S2ftModel s2ft = S2ftModel::attach(*lm, kMany);
  randomize_blocks(s2ft);
  const model::TokenBatch batch = fixture_batch(GetParam());
  const Tensor adapted = lm->forward(batch.input_ids);
  const std::vector<SparseEntries> diff = s2ft.difference();
  s2ft.fuse(*lm);
  EXPECT_LT(max_error(lm->forward(batch.input_ids), adapted), 1e-5);
  // The fused model is the base plus the difference, in the base's layout.
  std::map<std::string, std::vector<float>> expected;
  for (const auto& [name, w] : base) expected[name] = w.to_f32_vector();
  std::set<std::string> modules;
  for (const SparseEntries& entry : diff) {
    std::vector<float>& values = expected.at(entry.weight);
    const int64_t* at = entry.indices.data<int64_t>();
    const float* add = entry.values.data<float>();
    for (int64_t k = 0; k < entry.indices.numel(); ++k)
      values[static_cast<size_t>(at[k])] += add[k];
    modules.insert(entry.weight.substr(entry.weight.rfind('.', entry.weight.size() - 8) + 1));
  }
  EXPECT_EQ(modules, (std::set<std::string>{"o_proj.weight", "v_proj.weight", "down_proj.weight",
                                            "up_proj.weight"}));
  for (const auto& [name, w] : weights_of(*lm)) {
    EXPECT_EQ(w.to_f32_vector(), expected.at(name)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(S2ftFixtures, S2ftModelCase, testing::Values("llama_gqa_untied", "qwen2"));

TEST(S2ftModel, CountsTheSelectedBlocksParameters) {
  const auto lm = model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
  // 2 layers x 2 groups of 2 heads x 16 dims; hidden 64, 128 channels.
  const S2ftModel s2ft = S2ftModel::attach(*lm, {.o_ratio = 0.5, .d_ratio = 0.25});
  int64_t count = 0;
  for (const AdapterParameter& p : s2ft.parameters()) count += p.value.numel();
  EXPECT_EQ(count, 2 * 32 * 64 + 64 * 64);  // round(0.5 * 4) groups, round(0.25 * 256) channels
  EXPECT_EQ(s2ft.describe(),
            "o_proj: 2 of 4 head groups, v_proj: 0, down_proj: 64 of 256 FFN channels, up_proj: 0");
}

TEST(S2ftModel, RejectsGpt2AndAnEmptySelection) {
  const auto gpt2 = model::load_causal_lm(hf_model_fixture("gpt2"));
  EXPECT_NE(error_of([&] { S2ftModel::attach(*gpt2, {}); }).find("s2ft needs the Llama family"),
            std::string::npos);
  const auto lm = model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
  EXPECT_NE(error_of([&] {
              S2ftModel::attach(*lm, {.o_ratio = 0.01, .d_ratio = 0});
            }).find("nothing would train"),
            std::string::npos);
}

}  // namespace
}  // namespace retune::adapters
