// The WiSE-FT sweep: α lists, the means, the pick within a retain budget, and a sweep's scores
// equal to those of the written interpolated folders evaluated as `retune eval` does.
#include "eval/interpolation_sweep.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/error_of.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/perturbed_model.h"
#include "support/temp_dir.h"

namespace retune::eval {
namespace {

TEST(InterpolationSweep, ParsesAlphaLists) {
  EXPECT_EQ(parse_alpha_list("0,0.25,0.5,0.75,1"), (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(parse_alpha_list("0.3"), std::vector<double>{0.3});
  EXPECT_EQ(error_of([] { parse_alpha_list("0,x,1"); }), "alpha \"x\" is not a number");
  EXPECT_EQ(error_of([] { parse_alpha_list("0,,1"); }), "alpha \"\" is not a number");
  EXPECT_EQ(error_of([] { parse_alpha_list("0, 1"); }), "alpha \" 1\" is not a number");
  EXPECT_EQ(error_of([] { parse_alpha_list("0,1.5"); }), "alpha 1.5 is outside [0, 1]");
  EXPECT_EQ(error_of([] { parse_alpha("-0.1"); }), "alpha -0.1 is outside [0, 1]");
  EXPECT_EQ(error_of([] { parse_alpha("nan"); }), "alpha nan is outside [0, 1]");
}

FileEvaluation scored(double loss, std::optional<double> accuracy) {
  FileEvaluation file{.loss = {.loss = loss, .tokens = 10}};
  if (accuracy) file.exact = ExactMatch{.scored = 100, .correct = std::lround(100 * *accuracy)};
  return file;
}

TEST(InterpolationSweep, MeansCountEachFileOnce) {
  const std::vector<FileEvaluation> files = {scored(1, 0.5), scored(3, std::nullopt),
                                             scored(2, 0.25)};
  EXPECT_DOUBLE_EQ(mean_loss(files), 2);
  EXPECT_DOUBLE_EQ(*mean_accuracy(files), 0.375);
  EXPECT_FALSE(mean_accuracy({scored(1, std::nullopt)}));
}

TEST(InterpolationSweep, PicksTheBestWithinTheRetainBudget) {
  // Accuracy rises with α, and so does the retain loss.
  const std::vector<SweepPoint> points = {{0, {scored(3, 0.1)}, {scored(2.0, std::nullopt)}},
                                          {0.5, {scored(2, 0.5)}, {scored(2.1, std::nullopt)}},
                                          {1, {scored(1, 0.9)}, {scored(2.5, std::nullopt)}}};
  EXPECT_EQ(best_within_retain_budget(points, 1), 2u);
  EXPECT_EQ(best_within_retain_budget(points, 0.2), 1u);
  EXPECT_EQ(best_within_retain_budget(points, 0), 0u);
  // Without accuracies the lowest new-task loss wins.
  const std::vector<SweepPoint> losses = {{0, {scored(3, std::nullopt)}, {scored(2.0, 0.5)}},
                                          {1, {scored(1, std::nullopt)}, {scored(2.1, 0.5)}}};
  EXPECT_EQ(best_within_retain_budget(losses, 0.5), 1u);
  EXPECT_EQ(error_of([&] {
              best_within_retain_budget({points[1], points[2]}, 1);
            }),
            "the retain budget is measured from alpha 0, which the sweep lacks");
}

TEST(InterpolationSweep, ScoresAreThoseOfTheWrittenFolders) {
  TempDir dir;
  const std::filesystem::path base = hf_model_fixture("qwen2");
  write_perturbed_model(base, dir / "tuned", 11);
  write_file(dir / "qa.jsonl",
             "{\"prompt\": \"What is 2 + 3?\", \"completion\": \" 5.\"}\n"
             "{\"prompt\": \"Name a colour.\", \"completion\": \" Red.\"}\n");
  write_file(dir / "retain.jsonl", "{\"text\": \"the quiet river runs past the old mill\"}\n");
  const FileEvaluationOptions options{.seq_len = 32, .batch_size = 2};
  EvaluationFiles data(base, base, {(dir / "qa.jsonl").string()}, options);
  EvaluationFiles retain(base, base, {(dir / "retain.jsonl").string()}, options);
  const WeightInterpolation interpolation =
      WeightInterpolation::with_tuned_model(base, dir / "tuned");
  std::vector<double> seen;
  const std::vector<SweepPoint> points =
      sweep_interpolation(interpolation, {0, 0.5, 1}, data, retain,
                          [&](const SweepPoint& point) { seen.push_back(point.alpha); });
  EXPECT_EQ(seen, (std::vector<double>{0, 0.5, 1}));
  ASSERT_EQ(points.size(), 3u);
  EXPECT_NE(points[0].data[0].loss.loss, points[2].data[0].loss.loss);
  for (const SweepPoint& point : points) {
    const std::filesystem::path folder = dir / ("alpha_" + std::to_string(point.alpha));
    interpolation.write_model_folder(point.alpha, folder);
    const std::unique_ptr<model::CausalLm> written = model::load_causal_lm(folder);
    const FileEvaluation new_task = data.evaluate(*written, 0);
    EXPECT_EQ(point.data[0].loss.loss, new_task.loss.loss) << point.alpha;
    ASSERT_TRUE(point.data[0].exact && new_task.exact);
    EXPECT_EQ(point.data[0].exact->correct, new_task.exact->correct);
    EXPECT_EQ(point.retain[0].loss.loss, retain.evaluate(*written, 0).loss.loss);
    EXPECT_FALSE(point.retain[0].exact);
  }
}

}  // namespace
}  // namespace retune::eval
