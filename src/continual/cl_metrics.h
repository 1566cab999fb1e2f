// Continual-learning metrics of a task sequence, pure functions of accuracies.
//
// T tasks, trained one after another (0-based indices throughout):
//   R[i][j]  accuracy on task j's test set after training on tasks 0..i (the accuracy matrix,
//            T rows of T; row i is evaluated at the end of task i's training);
//   b[j]     accuracy on task j of the model the sequence starts from, before any training in
//            the sequence.
// Accuracies are in any unit (fractions or percents); the metrics are in the same unit.
//
//   ACC  average accuracy    mean_{j=0..T-1} R[T-1][j]
//   FGT  average forgetting  mean_{j=0..T-2} ( max_{k=j..T-2} R[k][j] − R[T-1][j] )
//        the best accuracy task j had at the end of any task from its own to the second to last,
//        minus its final accuracy (Mammoth's utils/metrics.py forgetting: the maximum over the
//        rows before the last, from row j on; Chaudhry et al. 2018)
//   BWT  backward transfer   mean_{j=0..T-2} ( R[T-1][j] − R[j][j] )     (GEM, Lopez-Paz &
//        Ranzato 2017; negative when tasks are forgotten)
//   FWT  forward transfer    mean_{j=1..T-1} ( R[j-1][j] − b[j] )
//        GEM's b̄_j is a randomly initialised model's accuracy; ours is the starting model's
//        (a pretrained model), so FWT says what training on earlier tasks did to a later task
//        before it was trained on.
// FGT, BWT and FWT need two tasks: with T = 1 they are absent (std::nullopt).
//
// Stability gap (De Lange, van de Ven & Tuytelaars, "Continual evaluation for lifelong
// learning: identifying the stability gap", ICLR 2023): accuracies evaluated during training,
// not only at the end of each task. curves[i] are the evaluation points recorded while training
// task i, each with every task's accuracy. "After task j was learned" is every evaluation strictly
// after the end of task j: the points of curves[j+1..k] and the end-of-task rows R[j+1..k]
// (whether or not a curve repeats its task's final evaluation).
//   min-ACC_k  (k ≥ 1)  mean_{j=0..k-1} min{ accuracy on task j at the evaluations after task j
//                       was learned, up to and including the end of task k }
//   WC-ACC_k            1/(k+1) · R[k][k] + (1 − 1/(k+1)) · min-ACC_k;  WC-ACC_0 = R[0][0]
// The paper counts tasks from 1: its WC-ACC_{T_k} = (1/k)·A(E_k, t_|T_k|) + (1 − 1/k)·min-ACC_{T_k}
// with min-ACC over tasks i < k and iterations t_|T_i| < n ≤ t_|T_k|; our k is its k − 1.
//
// Every function checks its input: R square with T ≥ 1, b and every point's accuracies of size
// T, curves of size T, k in 0..T-1, accuracies finite; an Error names what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace retune::continual {

// R[i][j] as above: T rows of T accuracies.
using AccuracyMatrix = std::vector<std::vector<double>>;

// One evaluation during training: the training step and every task's accuracy.
struct EvaluationPoint {
  int64_t step = 0;
  std::vector<double> accuracy;  // [T]: accuracy[j] on task j
};

struct SequenceMetrics {
  double average_accuracy = 0;               // ACC
  std::optional<double> average_forgetting;  // FGT, from T = 2
  std::optional<double> backward_transfer;   // BWT, from T = 2
  std::optional<double> forward_transfer;    // FWT, from T = 2
};

double average_accuracy(const AccuracyMatrix& r);
std::optional<double> average_forgetting(const AccuracyMatrix& r);
std::optional<double> backward_transfer(const AccuracyMatrix& r);
std::optional<double> forward_transfer(const AccuracyMatrix& r,
                                       const std::vector<double>& starting_accuracy);

// All four at once.
SequenceMetrics sequence_metrics(const AccuracyMatrix& r,
                                 const std::vector<double>& starting_accuracy);

// min-ACC after task k; absent for k = 0. curves: [T] lists of evaluation points.
std::optional<double> min_accuracy(const AccuracyMatrix& r,
                                   const std::vector<std::vector<EvaluationPoint>>& curves,
                                   int64_t k);

// WC-ACC after task k.
double worst_case_accuracy(const AccuracyMatrix& r,
                           const std::vector<std::vector<EvaluationPoint>>& curves, int64_t k);

}  // namespace retune::continual
