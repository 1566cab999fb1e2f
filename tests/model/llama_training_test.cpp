// The Llama-family training step on the fixture models: its loss is the inference forward's
// cross-entropy, every weight's gradient agrees with central differences of the loss along a
// random direction (one document per row, and packed; the distillation loss too), distilling
// toward itself costs nothing, training part of the model gives that part the same gradients, and
// a host copy of the labels (a GPU batch's) must be one.
#include "model/llama_training.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "support/error_of.h"
#include "support/training_checks.h"

namespace retune::model {
namespace {

class LlamaTrainingFixture : public testing::TestWithParam<std::string> {};

TEST_P(LlamaTrainingFixture, LossIsTheForwardsCrossEntropy) {
  expect_loss_is_the_forwards_cross_entropy<LlamaModel>(GetParam());
}

TEST_P(LlamaTrainingFixture, GradientsMatchCentralDifferences) {
  expect_gradients_match_central_differences<LlamaModel>(GetParam(), fixture_batch(GetParam()));
}

TEST_P(LlamaTrainingFixture, PackedGradientsMatchCentralDifferences) {
  expect_gradients_match_central_differences<LlamaModel>(GetParam(),
                                                         packed_fixture_batch(GetParam()));
}

TEST_P(LlamaTrainingFixture, DistillationGradientsMatchCentralDifferences) {
  expect_distillation_gradients_match_central_differences<LlamaModel>(GetParam());
}

TEST_P(LlamaTrainingFixture, DistillationFromItselfIsZero) {
  expect_distillation_from_itself_is_zero<LlamaModel>(GetParam());
}

// The last layer's MLP and the final norm.
TEST_P(LlamaTrainingFixture, PartialTrainingGivesTheSameGradients) {
  expect_partial_training_gives_the_same_gradients<LlamaModel>(
      GetParam(), [](const std::string& name) {
        return name.starts_with("model.layers.1.mlp.") || name == "model.norm.weight";
      });
}

// The host copy of the labels is checked against the labels' shape and for being on the host,
// on any device (a CPU step does not read it).
TEST(LlamaTraining, RefusesHostLabelsThatCannotBeTheLabels) {
  LlamaModel model = LlamaModel::load(hf_model_fixture("llama_tied"));
  const TrainingSetup setup = make_training_step(model, everything);
  TokenBatch batch = fixture_batch("llama_tied");
  batch.host_labels = Tensor::zeros({2, 11}, DType::i32);
  EXPECT_THAT(error_of([&] { setup.step->step(batch); }),
              testing::HasSubstr(
                  "LlamaTraining: host_labels must be i32 [2, 12] on cpu, got i32[2, 11] on cpu"));
  batch.host_labels = batch.labels.to(DType::i64);
  EXPECT_THAT(error_of([&] { setup.step->step(batch); }),
              testing::HasSubstr("host_labels must be i32 [2, 12] on cpu, got i64[2, 12]"));
  batch.host_labels = batch.labels.clone();
  EXPECT_EQ(error_of([&] { setup.step->step(batch); }), "no error");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LlamaTrainingFixture,
                         testing::Values("llama_gqa_untied", "llama_tied", "qwen2", "qwen3"));

}  // namespace
}  // namespace retune::model
