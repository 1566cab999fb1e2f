// The greedy soup: ingredients scored as `retune eval` scores their folders, sorted best first, a
// candidate kept only when it is strictly better (an ingredient that ruins the soup and a twin
// that changes nothing are both left out), the soup's weights the mean of the kept ones, and the
// bad inputs.
#include "merge/greedy_soup.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eval/interpolation_sweep.h"
#include "model/causal_lm.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/perturbed_model.h"
#include "support/temp_dir.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;

ModelReference reference(const fs::path& folder) {
  return parse_model_reference(folder.string(), fs::current_path(), "--model");
}

SoupScore folder_score(const fs::path& folder, eval::EvaluationFiles& files) {
  const std::unique_ptr<model::CausalLm> model = model::load_causal_lm(folder);
  const std::vector<eval::FileEvaluation> scores = files.evaluate_all(*model);
  return {.accuracy = eval::mean_accuracy(scores), .loss = eval::mean_loss(scores)};
}

class GreedySoupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = hf_model_fixture("qwen2");
    write_perturbed_model(base_, dir_ / "near", 5, 0.01f);
    write_perturbed_model(base_, dir_ / "far", 6, 1.0f);
    write_file(dir_ / "heldout.jsonl",
               "{\"prompt\": \"What is 2 + 3?\", \"completion\": \" 5.\"}\n"
               "{\"prompt\": \"Name a colour.\", \"completion\": \" Red.\"}\n"
               "{\"prompt\": \"Say hello.\", \"completion\": \" Hello there, friend.\"}\n");
    files_ = std::make_unique<eval::EvaluationFiles>(
        base_, base_, std::vector<std::string>{(dir_ / "heldout.jsonl").string()},
        eval::FileEvaluationOptions{.seq_len = 32, .batch_size = 2});
  }

  TempDir dir_;
  fs::path base_;
  std::unique_ptr<eval::EvaluationFiles> files_;
};

TEST_F(GreedySoupTest, LeavesOutWhatDoesNotStrictlyImprove) {
  // The base twice: the second copy's soup is the same model, no better, so it is left out; the
  // far model ranks last and adding it ruins the soup.
  const std::vector<fs::path> folders = {dir_ / "far", base_, dir_ / "near", base_};
  std::vector<ModelReference> ingredients;
  for (const fs::path& folder : folders) ingredients.push_back(reference(folder));
  std::vector<std::string> lines;
  const GreedySoupResult result =
      greedy_soup(ingredients, *files_, SoupMetric::loss,
                  [&](const std::string& line) { lines.push_back(line); });

  ASSERT_EQ(result.ingredients.size(), 4u);
  for (size_t i = 0; i < folders.size(); ++i) {
    EXPECT_NEAR(result.ingredients[i].loss, folder_score(folders[i], *files_).loss, 1e-5) << i;
    EXPECT_FALSE(result.ingredients[i].accuracy);
  }
  for (size_t k = 1; k < result.order.size(); ++k) {
    EXPECT_FALSE(better_score(result.ingredients[result.order[k]],
                              result.ingredients[result.order[k - 1]], SoupMetric::loss));
  }
  EXPECT_EQ(result.order.back(), 0u);  // far
  ASSERT_EQ(result.tried.size(), 3u);
  EXPECT_EQ(result.tried.back().ingredient, 0u);
  EXPECT_FALSE(result.tried.back().kept);
  EXPECT_GT(result.tried.back().score.loss, result.soup.loss + 0.1);
  // Each decision follows the soup's score so far.
  SoupScore soup = result.ingredients[result.order.front()];
  for (const SoupCandidate& candidate : result.tried) {
    EXPECT_EQ(candidate.kept, candidate.score.loss < soup.loss);
    if (candidate.kept) soup = candidate.score;
  }
  EXPECT_DOUBLE_EQ(result.soup.loss, soup.loss);
  // Only one copy of the base can be in the soup: a twin of the soup adds nothing.
  int base_copies = 0;
  for (size_t i : result.kept) base_copies += folders[i] == base_ ? 1 : 0;
  EXPECT_LE(base_copies, 1);
  EXPECT_EQ(lines.size(), 4u + 3u + 1u);

  // The weights are the mean of the kept ingredients'.
  std::vector<std::map<std::string, std::vector<float>>> kept_weights;
  for (size_t i : result.kept) {
    std::map<std::string, std::vector<float>> weights;
    for (const auto& [name, tensor] : folder_tensors(folders[i])) {
      weights.emplace(name, tensor.to_f32_vector());
    }
    kept_weights.push_back(std::move(weights));
  }
  for (const auto& [name, tensor] : result.weights) {
    const std::vector<float> values = tensor.to_f32_vector();
    for (size_t e = 0; e < values.size(); e += 7) {
      double mean = 0;
      for (const auto& weights : kept_weights) mean += weights.at(name)[e];
      mean /= static_cast<double>(kept_weights.size());
      ASSERT_NEAR(values[e], mean, 1e-6) << name << " " << e;
    }
  }
  // The soup's score is that of its folder.
  write_model_folder(base_, in_base_dtypes(base_, result.weights), dir_ / "soup");
  EXPECT_NEAR(folder_score(dir_ / "soup", *files_).loss, result.soup.loss, 1e-3);
  EXPECT_GT(result.uniform.loss, result.soup.loss);
}

TEST_F(GreedySoupTest, AccuracyMetricScoresExactMatchAndBreaksTiesByLoss) {
  const GreedySoupResult result =
      greedy_soup({reference(base_), reference(dir_ / "near")}, *files_, SoupMetric::accuracy);
  for (const SoupScore& score : result.ingredients) ASSERT_TRUE(score.accuracy);
  const SoupScore low{.accuracy = 0.5, .loss = 1};
  const SoupScore high{.accuracy = 0.75, .loss = 3};
  const SoupScore tie{.accuracy = 0.5, .loss = 0.5};
  EXPECT_TRUE(better_score(high, low, SoupMetric::accuracy));
  EXPECT_TRUE(better_score(tie, low, SoupMetric::accuracy));
  EXPECT_FALSE(better_score(low, low, SoupMetric::accuracy));
  EXPECT_TRUE(better_score(low, high, SoupMetric::loss));
}

TEST_F(GreedySoupTest, RefusesBadIngredients) {
  EXPECT_EQ(error_of([&] { greedy_soup({reference(base_)}, *files_, SoupMetric::loss); }),
            "a soup needs at least two ingredients, got 1");
  const fs::path qwen3 = hf_model_fixture("qwen3");
  EXPECT_EQ(error_of([&] {
              greedy_soup({reference(base_), reference(qwen3)}, *files_, SoupMetric::loss);
            }),
            fmt::format("{}: architecture Qwen3ForCausalLM, but the first ingredient {} is "
                        "Qwen2ForCausalLM",
                        qwen3.string(), base_.string()));
  EXPECT_EQ(
      error_of([&] {
        greedy_soup({reference(base_), reference(dir_ / "missing")}, *files_, SoupMetric::loss);
      }),
      fmt::format("{}: model folder not found (from \"{}\")", (dir_ / "missing").string(),
                  (dir_ / "missing").string()));
  const std::string shapes = error_of([&] {
    greedy_soup({reference(hf_model_fixture("llama_tied")),
                 reference(hf_model_fixture("llama_gqa_untied"))},
                *files_, SoupMetric::loss);
  });
  EXPECT_NE(shapes.find("llama_gqa_untied: tensor model.layers.0.self_attn.k_proj.weight has "
                        "shape [32, 64], but the first ingredient"),
            std::string::npos)
      << shapes;
  write_file(dir_ / "plain.jsonl", "{\"text\": \"no pairs here\"}\n");
  eval::EvaluationFiles plain(base_, base_, {(dir_ / "plain.jsonl").string()},
                              eval::FileEvaluationOptions{.seq_len = 32, .batch_size = 2});
  EXPECT_EQ(
      error_of([&] {
        greedy_soup({reference(base_), reference(dir_ / "near")}, plain, SoupMetric::accuracy);
      }),
      "the accuracy metric needs held-out files with prompt/completion pairs to score; "
      "use the loss metric for plain text");
}

}  // namespace
}  // namespace retune::merge
