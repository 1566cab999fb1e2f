#include "eval/loss_evaluation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "support/training_checks.h"

namespace retune::eval {
namespace {

// Three examples of different lengths, the first token of each untrained (so every position
// but the last predicts a trained token).
std::vector<TokenizedExample> examples() {
  Rng rng(3);
  std::vector<TokenizedExample> result;
  for (const int length : {5, 9, 12}) {
    TokenizedExample example;
    for (int t = 0; t < length; ++t) {
      example.ids.push_back(static_cast<int32_t>(rng.integer(3, 319)));
      example.trained.push_back(t > 0);
    }
    result.push_back(example);
  }
  return result;
}

// The mean over every example's scored tokens of the loss of the model's logits for it alone.
TEST(LossEvaluation, IsTheTokenMeanOfTheForwardsCrossEntropy) {
  const auto model = model::load_causal_lm(hf_model_fixture("qwen3"));
  double total = 0;
  int64_t count = 0;
  for (const TokenizedExample& example : examples()) {
    const auto length = static_cast<int64_t>(example.ids.size());
    const Tensor ids = Tensor::from_vector<int32_t>({1, length}, DType::i32, example.ids);
    std::vector<int32_t> labels(example.ids.size(), -100);
    for (int64_t t = 0; t + 1 < length; ++t) {
      if (example.trained[t + 1]) labels[t] = example.ids[t + 1];
    }
    const int64_t scored = length - 1;  // every token after the first is trained
    total += reference_loss(model->forward(ids),
                            Tensor::from_vector<int32_t>({1, length}, DType::i32, labels)) *
             static_cast<double>(scored);
    count += scored;
  }
  const LossEvaluation evaluation = evaluate_loss(*model, examples(), 16, 2, 0);
  EXPECT_EQ(evaluation.tokens, count);
  EXPECT_NEAR(evaluation.loss, total / static_cast<double>(count), 1e-5);
  EXPECT_NEAR(evaluation.perplexity(), std::exp(evaluation.loss), 1e-9);
}

}  // namespace
}  // namespace retune::eval
