// LT-SFT's pieces: the mask holds exactly K entries, the largest changes over all maskable
// weights together; masked training moves nothing else; the sparse difference is saved, added
// back, composed by addition, and refused with a message when malformed.
#include "train/sparse_update.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "adapters/sparse_diff.h"
#include "io/safetensors_file.h"
#include "model/trainable_weights.h"
#include "support/error_of.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune::train {
namespace {

namespace fs = std::filesystem;

Tensor values(std::initializer_list<float> v, Shape shape) {
  return Tensor::from_vector<float>(shape, DType::f32, std::vector<float>(v));
}

std::vector<int64_t> indices_of(const Tensor& t) {
  return {t.data<int64_t>(), t.data<int64_t>() + t.numel()};
}

TEST(SparseUpdate, MaskableWeightsAreTheLayersLinearWeights) {
  EXPECT_TRUE(sparse_maskable("model.layers.0.self_attn.q_proj.weight"));
  EXPECT_TRUE(sparse_maskable("model.layers.3.mlp.down_proj.weight"));
  EXPECT_TRUE(sparse_maskable("transformer.h.0.attn.c_attn.weight"));
  EXPECT_FALSE(sparse_maskable("model.layers.0.input_layernorm.weight"));
  EXPECT_FALSE(sparse_maskable("transformer.h.0.ln_1.weight"));
  EXPECT_FALSE(sparse_maskable("model.layers.0.self_attn.q_proj.bias"));
  EXPECT_FALSE(sparse_maskable("model.embed_tokens.weight"));
  EXPECT_FALSE(sparse_maskable("lm_head.weight"));
}

// The K largest |Δ| over both weights together: exactly K entries, ties broken by order.
TEST(SparseUpdate, TheMaskHoldsExactlyTheKLargestChanges) {
  const NamedTensors base = {{"model.layers.0.mlp.up_proj.weight", values({0, 0, 0, 0}, {2, 2})},
                             {"model.layers.0.input_layernorm.weight", values({1, 1}, {2})},
                             {"model.layers.1.mlp.up_proj.weight", values({0, 0, 0}, {3})}};
  const NamedTensors tuned = {
      {"model.layers.0.mlp.up_proj.weight", values({0.5f, -3, 0.1f, 2}, {2, 2})},
      {"model.layers.0.input_layernorm.weight", values({9, 9}, {2})},
      {"model.layers.1.mlp.up_proj.weight", values({-2, 0.2f, 0.5f}, {3})}};
  const NamedTensors mask = top_k_mask(base, tuned, 4);
  ASSERT_EQ(mask.size(), 2u);
  EXPECT_EQ(mask[0].first, "model.layers.0.mlp.up_proj.weight");
  EXPECT_EQ(indices_of(mask[0].second), (std::vector<int64_t>{0, 1, 3}));  // 0.5 wins the tie
  EXPECT_EQ(mask[1].first, "model.layers.1.mlp.up_proj.weight");
  EXPECT_EQ(indices_of(mask[1].second), (std::vector<int64_t>{0}));
  int64_t kept = 0;
  for (const auto& [name, indices] : mask) kept += indices.numel();
  EXPECT_EQ(kept, 4);
  EXPECT_EQ(error_of([&] { top_k_mask(base, tuned, 8); }),
            "sparse mask: 8 entries asked for, the maskable weights have 7");
}

TEST(SparseUpdate, MaskedTrainingMovesAndDifferentiatesOnlyTheMasksEntries) {
  Tensor a = values({1, 2, 3, 4}, {4});
  Tensor b = values({5, 6}, {2});
  const std::map<std::string, Tensor> mask = {
      {"a", Tensor::from_vector<int64_t>({2}, DType::i64, std::vector<int64_t>{1, 3})}};
  const Tensor a_grad = values({-1, -2, -3, -4}, {4});
  const Tensor b_grad = values({-5, -6}, {2});
  const MaskedUpdate update(mask, {{"a", a, a_grad}, {"b", b, b_grad}});
  EXPECT_EQ(update.entries(), 2);
  // The gradients keep the mask's entries (b, unnamed, none), as LT-SFT's trainer multiplies
  // them by the mask before they are clipped.
  update.mask_gradients();
  EXPECT_EQ(a_grad.to_f32_vector(), (std::vector<float>{0, -2, 0, -4}));
  EXPECT_EQ(b_grad.to_f32_vector(), (std::vector<float>{0, 0}));
  for (int64_t i = 0; i < 4; ++i) a.mutable_data<float>()[i] += 10;
  b.mutable_data<float>()[0] = 0;
  update.project();
  EXPECT_EQ(a.to_f32_vector(), (std::vector<float>{1, 12, 3, 14}));
  EXPECT_EQ(b.to_f32_vector(), (std::vector<float>{5, 6}));
  const std::vector<adapters::SparseEntries> diff = update.difference();
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_EQ(indices_of(diff[0].indices), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(diff[0].values.to_f32_vector(), (std::vector<float>{10, 10}));
  const std::map<std::string, Tensor> foreign = {
      {"c", Tensor::from_vector<int64_t>({1}, DType::i64, std::vector<int64_t>{0})}};
  EXPECT_EQ(error_of([&] {
              MaskedUpdate(foreign, {{"a", a, a_grad}});
            }),
            "the sparse mask names 1 weights, 0 of them trained: it was made for another model "
            "or method");
  const std::map<std::string, Tensor> outside = {
      {"a", Tensor::from_vector<int64_t>({1}, DType::i64, std::vector<int64_t>{4})}};
  EXPECT_EQ(error_of([&] {
              MaskedUpdate(outside, {{"a", a, a_grad}});
            }),
            "the sparse mask of a holds entry 4, outside its 4 entries");
}

// A difference on the fixture model: added back, and composed: two differences add up.
TEST(SparseDiff, IsAddedToTheBaseAndComposesByAddition) {
  const std::string weight = "model.layers.1.mlp.down_proj.weight";
  auto lm = model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
  std::map<std::string, Tensor> before;
  for (const auto& [name, w] : model::named_weights(*lm)) before.emplace(name, w.to(DType::f32));
  const Shape shape = before.at(weight).shape();
  TempDir dir;
  const auto diff = [&](std::vector<int64_t> indices, std::vector<float> changes) {
    const auto k = std::ssize(indices);
    return std::vector<adapters::SparseEntries>{
        {.weight = weight,
         .indices = Tensor::from_vector<int64_t>({k}, DType::i64, indices),
         .values = Tensor::from_vector<float>({k}, DType::f32, changes),
         .shape = shape}};
  };
  adapters::save_sparse_diff(diff({0, 5}, {1.0f, -2.0f}), "lt_sft", "base", dir / "one");
  adapters::save_sparse_diff(diff({5, 7}, {0.5f, 3.0f}), "lt_sft", "base", dir / "two");
  EXPECT_TRUE(adapters::is_sparse_diff(dir / "one"));
  EXPECT_EQ(adapters::apply_sparse_diff(*lm, dir / "one"), 2);
  EXPECT_EQ(adapters::apply_sparse_diff(*lm, dir / "two"), 2);
  std::map<std::string, Tensor> after;
  for (const auto& [name, w] : model::named_weights(*lm)) after.emplace(name, w);
  for (const auto& [name, w] : before) {
    const std::vector<float> x = w.to_f32_vector(), y = after.at(name).to_f32_vector();
    for (size_t i = 0; i < x.size(); ++i) {
      float expected = x[i];
      if (name == weight && i == 0) expected += 1.0f;
      if (name == weight && i == 5) expected += -2.0f + 0.5f;
      if (name == weight && i == 7) expected += 3.0f;
      ASSERT_EQ(y[i], expected) << name << " " << i;
    }
  }
}

TEST(SparseDiff, RefusesAMalformedDifferenceLeavingTheModelAlone) {
  const std::string weight = "model.layers.1.mlp.down_proj.weight";
  auto lm = model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
  const auto current = [&] {
    for (const auto& [name, w] : model::named_weights(*lm)) {
      if (name == weight) return w.to_f32_vector();
    }
    return std::vector<float>{};
  };
  const std::vector<float> before = current();
  ASSERT_FALSE(before.empty());
  TempDir dir;
  const auto save = [&](const std::string& name, Shape shape, std::vector<int64_t> indices) {
    const auto k = std::ssize(indices);
    adapters::save_sparse_diff({{.weight = name,
                                 .indices = Tensor::from_vector<int64_t>({k}, DType::i64, indices),
                                 .values = Tensor::from_vector<float>(
                                     {k}, DType::f32, std::vector<float>(indices.size(), 1)),
                                 .shape = shape}},
                               "lt_sft", "base", dir / "d");
  };
  const std::string config = (dir / "d/sparse_config.json").string();
  const std::string tensors = (dir / "d/sparse_diff.safetensors").string();
  save("model.layers.9.mlp.down_proj.weight", {64, 128}, {0});
  EXPECT_EQ(
      error_of([&] { adapters::apply_sparse_diff(*lm, dir / "d"); }),
      config + ": weight \"model.layers.9.mlp.down_proj.weight\": the model has no such weight");
  save(weight, {128, 64}, {0});
  EXPECT_EQ(error_of([&] { adapters::apply_sparse_diff(*lm, dir / "d"); }),
            config + ": weight \"" + weight +
                "\" has shape [64, 128] in the model, the "
                "difference says [128,64]");
  save(weight, {64, 128}, {3, 8192});
  EXPECT_EQ(error_of([&] { adapters::apply_sparse_diff(*lm, dir / "d"); }),
            tensors + ": \"" + weight + ".indices\" holds 8192, outside the weight's 8192 entries");
  write_safetensors(dir / "d/sparse_diff.safetensors", {}, {});
  EXPECT_EQ(error_of([&] { adapters::apply_sparse_diff(*lm, dir / "d"); }),
            tensors + ": missing tensor \"" + weight + ".indices\"");
  EXPECT_EQ(current(), before);
}

}  // namespace
}  // namespace retune::train
