// The GPT-2 training step on the fixture model: its loss is the inference forward's
// cross-entropy, every weight's gradient (Conv1D weights, biases, LayerNorms, both embedding
// tables) agrees with central differences (of the distillation loss too), distilling toward
// itself costs nothing, partial training gives the same gradients, and rows longer than the
// learned positions are refused.
#include "model/gpt2_training.h"

#include <gtest/gtest.h>

#include <string>

#include "support/error_of.h"
#include "support/training_checks.h"

namespace retune::model {
namespace {

TEST(Gpt2Training, LossIsTheForwardsCrossEntropy) {
  expect_loss_is_the_forwards_cross_entropy<Gpt2Model>("gpt2");
}

TEST(Gpt2Training, GradientsMatchCentralDifferences) {
  expect_gradients_match_central_differences<Gpt2Model>("gpt2", fixture_batch("gpt2"));
}

TEST(Gpt2Training, PackedGradientsMatchCentralDifferences) {
  expect_gradients_match_central_differences<Gpt2Model>("gpt2", packed_fixture_batch("gpt2"));
}

TEST(Gpt2Training, DistillationGradientsMatchCentralDifferences) {
  expect_distillation_gradients_match_central_differences<Gpt2Model>("gpt2");
}

TEST(Gpt2Training, DistillationFromItselfIsZero) {
  expect_distillation_from_itself_is_zero<Gpt2Model>("gpt2");
}

// The last block's attention projection and the final LayerNorm.
TEST(Gpt2Training, PartialTrainingGivesTheSameGradients) {
  expect_partial_training_gives_the_same_gradients<Gpt2Model>("gpt2", [](const std::string& name) {
    return name.starts_with("transformer.h.1.attn.c_proj.") ||
           name.starts_with("transformer.ln_f.");
  });
}

// Rows longer than the learned positions (128 in the fixture) are refused, naming them, before
// anything runs (a GPU's embedding would read positions past the table as zeros).
TEST(Gpt2Training, RefusesRowsLongerThanTheLearnedPositions) {
  Gpt2Model model = Gpt2Model::load(hf_model_fixture("gpt2"));
  const TrainingSetup setup = make_training_step(model, everything);
  const TokenBatch batch{.input_ids = Tensor::zeros({1, 129}, DType::i32),
                         .labels = Tensor::zeros({1, 129}, DType::i32)};
  EXPECT_EQ(error_of([&] { setup.step->step(batch); }),
            "Gpt2Training: rows of 129 tokens exceed the 128 learned positions (n_positions)");
}

}  // namespace
}  // namespace retune::model
