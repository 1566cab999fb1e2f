// Grafting against known answers: a "fine-tuned" model that differs from its base only in
// planted entries, so the base patch must pick exactly those (the largest |Δ|), the full graft
// must be the tuned model, no epoch must leave the base patch, and one update of the scores must
// be the formula, with the gradient at the relaxed graft.
#include "eval/grafting.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "eval/interpolation_sweep.h"
#include "model/trainable_weights.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/planted_model.h"
#include "support/temp_dir.h"
#include "train/sparse_update.h"

namespace retune::eval {
namespace {

namespace fs = std::filesystem;

const fs::path kBase = hf_model_fixture("llama_tied");

// Four entries of linear weights in both layers; |Δ| decreasing in this order.
std::vector<PlantedChange> planted() {
  return {{"model.layers.0.self_attn.q_proj.weight", 70, 0.9F},
          {"model.layers.1.mlp.down_proj.weight", 1000, -0.8F},
          {"model.layers.0.mlp.up_proj.weight", 5, 0.7F},
          {"model.layers.1.self_attn.o_proj.weight", 4095, -0.6F}};
}

using Entry = std::pair<std::string, int64_t>;

std::set<Entry> planted_entries(size_t count) {
  std::set<Entry> entries;
  const std::vector<PlantedChange> changes = planted();
  for (size_t i = 0; i < count; ++i) entries.emplace(changes[i].weight, changes[i].index);
  return entries;
}

std::set<Entry> patch_entries(const std::vector<GraftRegion>& regions) {
  std::set<Entry> entries;
  for (const GraftRegion& region : regions) {
    for (size_t i = 0; i < region.patch.size(); ++i) {
      if (region.patch[i]) entries.emplace(region.name, static_cast<int64_t>(i));
    }
  }
  return entries;
}

std::set<Entry> mask_entries(const NamedTensors& mask) {
  std::set<Entry> entries;
  for (const auto& [name, indices] : mask) {
    for (int64_t i = 0; i < indices.numel(); ++i) entries.emplace(name, indices.data<int64_t>()[i]);
  }
  return entries;
}

class GraftingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_planted_model(kBase, dir_ / "tuned", planted());
    write_file(dir_ / "qa.jsonl", R"({"prompt": "What is 2 + 3?", "completion": " 5."})"
                                  "\n"
                                  R"({"prompt": "Name a colour.", "completion": " Red."})"
                                  "\n"
                                  R"({"prompt": "Say hi.", "completion": " hi"})"
                                  "\n");
    files_ = std::make_unique<EvaluationFiles>(
        kBase, kBase, std::vector<std::string>{(dir_ / "qa.jsonl").string()},
        FileEvaluationOptions{.seq_len = 32, .batch_size = 2, .exact_match = false});
    pairs_ = pair_model_weights(kBase, dir_ / "tuned");
    for (const PairedWeight& pair : pairs_) {
      if (train::sparse_maskable(pair.name)) entries_ += pair.base.numel();
    }
  }

  double loss_of(const model::CausalLm& model) { return mean_loss(files_->evaluate_all(model)); }

  TempDir dir_;
  std::unique_ptr<EvaluationFiles> files_;
  std::vector<PairedWeight> pairs_;
  int64_t entries_ = 0;  // of the linear weights
};

TEST_F(GraftingTest, TheBasePatchIsTheLargestChanges) {
  // s at the planted share: exactly the planted entries; one less: the three largest |Δ|.
  EXPECT_EQ(patch_entries(base_patch(pairs_, 4.0 / static_cast<double>(entries_))),
            planted_entries(4));
  EXPECT_EQ(patch_entries(base_patch(pairs_, 3.0 / static_cast<double>(entries_))),
            planted_entries(3));
  const std::vector<GraftRegion> regions = base_patch(pairs_, 4.0 / static_cast<double>(entries_));
  ASSERT_EQ(regions.size(), 14u);  // 7 projections in 2 layers; no embeddings or norms
  for (const GraftRegion& region : regions) {
    for (const float score : region.scores) ASSERT_EQ(score, 0.0F);
  }
}

TEST_F(GraftingTest, SparsityOutsideZeroToOneIsRefused) {
  EXPECT_EQ(error_of([&] { base_patch(pairs_, 0); }),
            "the base patch's sparsity must be in (0, 1], got 0");
  EXPECT_EQ(error_of([&] { base_patch(pairs_, 1.5); }),
            "the base patch's sparsity must be in (0, 1], got 1.5");
}

TEST_F(GraftingTest, TheFullGraftIsTheTunedModel) {
  const double tuned = loss_of(*model::load_causal_lm(dir_ / "tuned"));
  const std::unique_ptr<model::CausalLm> model = model::load_causal_lm(kBase);
  const double pre = loss_of(*model);
  ASSERT_NE(pre, tuned);
  Grafting grafting(*model, base_patch(pairs_, 1.0));
  grafting.apply(true);
  EXPECT_EQ(loss_of(*model), tuned);
}

TEST_F(GraftingTest, WithoutEpochsTheGraftIsTheBasePatch) {
  const GraftResult result = graft(kBase, dir_ / "tuned", *files_,
                                   {.sparsity = 4.0 / static_cast<double>(entries_), .epochs = 0});
  EXPECT_EQ(result.grafted_entries, entries_);
  EXPECT_EQ(result.patch_ones, 4);
  EXPECT_EQ(result.graft_ones, 4);
  EXPECT_EQ(mask_entries(result.mask), planted_entries(4));
  EXPECT_TRUE(result.epoch_losses.empty());
  // The base patch holds every change the tuned model made: it is the tuned model.
  EXPECT_EQ(result.patch.loss, result.tuned.loss);
  EXPECT_EQ(result.graft.loss, result.tuned.loss);
  EXPECT_NE(result.pre.loss, result.tuned.loss);
  EXPECT_EQ(recovered_fraction(result.pre.loss, result.tuned.loss, result.graft.loss), 1.0);
  EXPECT_FALSE(result.pre.accuracy);  // exact match off
  ASSERT_EQ(result.weights.size(), pairs_.size());
}

TEST(GraftFormula, OneScoreUpdateByHand) {
  // σ(−10) = 4.5397868702434395e-05, σ'(−10) = 4.5395807735951673e-05; σ'(2) = 0.10499358540350662.
  GraftRegion region{
      .name = "w", .base = {0, 1, 2}, .tuned = {1, 1, 5}, .patch = {1, 0, 0}, .scores = {0, 0, 12}};
  EXPECT_DOUBLE_EQ(relaxed_mask(1, 0), 1 - 4.5397868702434395e-05);
  EXPECT_DOUBLE_EQ(relaxed_mask(0, 0), 4.5397868702434395e-05);
  EXPECT_TRUE(rounded_mask(1, 0));
  EXPECT_TRUE(rounded_mask(0, 12));  // σ(2) > 0.5
  EXPECT_EQ(mask_entries(graft_mask({region})), (std::set<Entry>{{"w", 0}, {"w", 2}}));

  const std::vector<float> gradient = {0.5F, -2.0F, 0.25F};
  update_scores(region, Tensor::from_vector<float>({3}, DType::f32, gradient), 1e7);
  // S − lr (1 − 2b) (g Δ) σ'(S − 10), entry by entry.
  EXPECT_FLOAT_EQ(region.scores[0], static_cast<float>(0 + 1e7 * 0.5 * 1 * 4.5395807735951673e-05));
  EXPECT_FLOAT_EQ(region.scores[1], 0.0F);  // Δ = 0
  EXPECT_FLOAT_EQ(region.scores[2], static_cast<float>(12 - 1e7 * 0.25 * 3 * 0.10499358540350662));
  // Both moves undo the graft there: the loss rises along Δ at entries 0 and 2.
  int64_t ones = -1;
  EXPECT_TRUE(graft_mask({region}, &ones).empty());
  EXPECT_EQ(ones, 0);
  const std::vector<float> values = grafted_values(region, true);
  EXPECT_EQ(values, (std::vector<float>{0, 1, 2}));
}

TEST_F(GraftingTest, AStepUsesTheFullBatchGradientAtTheRelaxedGraft) {
  const std::vector<GradientBatch> batches = gradient_batches(*files_, 128);
  ASSERT_EQ(batches.size(), 2u);  // 3 examples, 2 rows a batch
  EXPECT_DOUBLE_EQ(batches[0].weight + batches[1].weight, 1.0);
  const std::vector<GraftRegion> start = base_patch(pairs_, 4.0 / static_cast<double>(entries_));

  const std::unique_ptr<model::CausalLm> model = model::load_causal_lm(kBase);
  Grafting grafting(*model, start);
  grafting.apply(false);
  const double relaxed = loss_of(*model);
  EXPECT_NEAR(grafting.step(batches, 1e7), relaxed, 1e-5);

  // The same by hand: a fresh base with the relaxed graft, its gradient over both batches
  // weighted by their tokens, then the update.
  const std::unique_ptr<model::CausalLm> fresh = model::load_causal_lm(kBase);
  std::map<std::string, GraftRegion> expected;
  for (const GraftRegion& region : start) expected.emplace(region.name, region);
  const model::TrainingSetup setup = model::make_training_step(
      *fresh, [&](const std::string& name) { return expected.contains(name); });
  for (const model::TrainedWeight& weight : setup.weights) {
    const std::vector<float> values = grafted_values(expected.at(weight.name), false);
    std::copy(values.begin(), values.end(), weight.value.mutable_data<float>());
  }
  for (const GradientBatch& batch : batches) {
    setup.step->step(batch.batch, static_cast<float>(batch.weight));
  }
  int64_t moved = 0;
  for (const model::TrainedWeight& weight : setup.weights) {
    GraftRegion& region = expected.at(weight.name);
    update_scores(region, weight.grad, 1e7);
    for (const float score : region.scores) moved += score != 0;
  }
  EXPECT_EQ(moved, 4);  // only the planted entries have a Δ
  for (const GraftRegion& region : grafting.regions()) {
    EXPECT_EQ(region.scores, expected.at(region.name).scores) << region.name;
  }
}

}  // namespace
}  // namespace retune::eval
