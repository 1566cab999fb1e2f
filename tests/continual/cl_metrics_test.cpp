// Continual-learning metrics on a 4-task accuracy matrix worked out by hand, the one-task case,
// and refused shapes.
#include "continual/cl_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/error_of.h"

namespace retune::continual {
namespace {

// R[i][j]: accuracy on task j after training tasks 0..i.
const AccuracyMatrix kR = {
    {0.90, 0.10, 0.20, 0.30},
    {0.60, 0.80, 0.25, 0.15},
    {0.95, 0.50, 0.95, 0.40},
    {0.40, 0.60, 0.75, 0.85},
};
// The starting model's accuracies.
const std::vector<double> kStart = {0.05, 0.10, 0.15, 0.20};

// Evaluations during each task's training.
const std::vector<std::vector<EvaluationPoint>> kCurves = {
    {{10, {0.50, 0.10, 0.20, 0.30}}, {20, {0.90, 0.10, 0.20, 0.30}}},
    {{30, {0.30, 0.40, 0.20, 0.20}}, {40, {0.55, 0.70, 0.20, 0.20}}},
    {{50, {0.85, 0.20, 0.60, 0.30}}, {60, {0.90, 0.45, 0.90, 0.35}}},
    {{70, {0.35, 0.55, 0.50, 0.60}}, {80, {0.45, 0.65, 0.70, 0.80}}},
};

TEST(ClMetrics, FourTasksByHand) {
  // ACC = (0.40 + 0.60 + 0.75 + 0.85) / 4 = 2.60 / 4
  EXPECT_NEAR(average_accuracy(kR), 0.65, 1e-12);
  // FGT: task 0: max(R00 .90, R10 .60, R20 .95) − R30 .40 = .55 (the best is not the diagonal)
  //      task 1: max(R11 .80, R21 .50) − R31 .60 = .20
  //      task 2: R22 .95 − R32 .75 = .20;   mean .95 / 3
  EXPECT_NEAR(*average_forgetting(kR), 0.95 / 3, 1e-12);
  // BWT: (.40 − .90) + (.60 − .80) + (.75 − .95) = −.90;   mean −.30
  EXPECT_NEAR(*backward_transfer(kR), -0.30, 1e-12);
  // FWT: (R01 .10 − .10) + (R12 .25 − .15) + (R23 .40 − .20) = .30;   mean .10
  EXPECT_NEAR(*forward_transfer(kR, kStart), 0.10, 1e-12);

  const SequenceMetrics all = sequence_metrics(kR, kStart);
  EXPECT_EQ(all.average_accuracy, average_accuracy(kR));
  EXPECT_EQ(all.average_forgetting, average_forgetting(kR));
  EXPECT_EQ(all.backward_transfer, backward_transfer(kR));
  EXPECT_EQ(all.forward_transfer, forward_transfer(kR, kStart));
}

TEST(ClMetrics, StabilityGapByHand) {
  // After task 1: task 0's lowest after it was learned: curve 1 (.30, .55) and R10 .60 → .30.
  EXPECT_FALSE(min_accuracy(kR, kCurves, 0));
  EXPECT_NEAR(*min_accuracy(kR, kCurves, 1), 0.30, 1e-12);
  // WC-ACC_1 = 1/2 · R11 .80 + 1/2 · .30
  EXPECT_NEAR(worst_case_accuracy(kR, kCurves, 1), 0.55, 1e-12);
  // After task 2: task 0 still .30 (curve 2: .85, .90; R20 .95); task 1: curve 2 (.20, .45),
  // R21 .50 → .20. min-ACC = .25; WC-ACC = 1/3 · R22 .95 + 2/3 · .25
  EXPECT_NEAR(*min_accuracy(kR, kCurves, 2), 0.25, 1e-12);
  EXPECT_NEAR(worst_case_accuracy(kR, kCurves, 2), 0.95 / 3 + 0.5 / 3, 1e-12);
  // After task 3: task 0 .30 (curve 3: .35, .45; R30 .40), task 1 .20, task 2: curve 3 (.50,
  // .70), R32 .75 → .50. min-ACC = 1.00 / 3; WC-ACC = 1/4 · R33 .85 + 3/4 · 1/3
  EXPECT_NEAR(*min_accuracy(kR, kCurves, 3), 1.0 / 3, 1e-12);
  EXPECT_NEAR(worst_case_accuracy(kR, kCurves, 3), 0.2125 + 0.25, 1e-12);
  // WC-ACC_0 is the first task's own accuracy.
  EXPECT_NEAR(worst_case_accuracy(kR, kCurves, 0), 0.90, 1e-12);
}

TEST(ClMetrics, MinAccuracyCountsEndOfTaskRowsWithoutCurves) {
  const std::vector<std::vector<EvaluationPoint>> none(4);
  // Task 0: min(R10 .60, R20 .95, R30 .40) = .40; task 1: min(R21 .50, R31 .60) = .50;
  // task 2: R32 .75. Mean 1.65 / 3.
  EXPECT_NEAR(*min_accuracy(kR, none, 1), 0.60, 1e-12);
  EXPECT_NEAR(*min_accuracy(kR, none, 3), 0.55, 1e-12);
}

TEST(ClMetrics, OneTaskHasOnlyAccuracy) {
  const AccuracyMatrix one = {{0.7}};
  const SequenceMetrics metrics = sequence_metrics(one, {0.1});
  EXPECT_NEAR(metrics.average_accuracy, 0.7, 1e-12);
  EXPECT_FALSE(metrics.average_forgetting);
  EXPECT_FALSE(metrics.backward_transfer);
  EXPECT_FALSE(metrics.forward_transfer);
  EXPECT_FALSE(min_accuracy(one, {{}}, 0));
  EXPECT_NEAR(worst_case_accuracy(one, {{}}, 0), 0.7, 1e-12);
}

TEST(ClMetrics, RefusesBadShapes) {
  EXPECT_EQ(error_of([] { average_accuracy({}); }),
            "accuracy matrix is empty, expected a row per task");
  EXPECT_EQ(error_of([] {
              average_accuracy({{0.5, 0.5}, {0.5}});
            }),
            "accuracy matrix row 1: 1 values, expected one per task (2)");
  EXPECT_EQ(error_of([] {
              backward_transfer({{0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}});
            }),
            "accuracy matrix row 0: 3 values, expected one per task (2)");
  EXPECT_EQ(error_of([] {
              average_forgetting({{0.5, NAN}, {0.5, 0.5}});
            }),
            "accuracy matrix row 0: accuracy on task 1 is nan, expected a number");
  EXPECT_EQ(error_of([] {
              forward_transfer(kR, {0.1, 0.2});
            }),
            "starting accuracies: 2 values, expected one per task (4)");
  EXPECT_EQ(error_of([] {
              min_accuracy(kR, {{}, {}}, 1);
            }),
            "2 evaluation curves, expected one per task (4)");
  EXPECT_EQ(error_of([] {
              min_accuracy(kR, {{}, {{30, {0.1}}}, {}, {}}, 1);
            }),
            "evaluation at step 30 of task 1: 1 values, expected one per task (4)");
  EXPECT_EQ(error_of([] { worst_case_accuracy(kR, kCurves, 4); }), "task 4 is outside 0..3");
  EXPECT_EQ(error_of([] { min_accuracy(kR, kCurves, -1); }), "task -1 is outside 0..3");
}

}  // namespace
}  // namespace retune::continual
