// Model soups (Wortsman et al. 2022, METHODS.md C1): the average of fine-tuned models of one
// base. The uniform soup averages them all; the greedy soup (mlfoundations/model-soups, the
// --greedy-soup branch) sorts them by a held-out score, best first, starts from the best and
// adds each next one, as the running average (n·soup + θ)/(n + 1), only when that candidate's
// held-out score is strictly better than the soup's so far.
//
// Scores are `retune eval`'s on held-out files (eval/file_evaluation.h): with
// SoupMetric::accuracy the mean exact-match accuracy of the files that have prompt/completion
// pairs, equal accuracies ordered by the lower mean loss (on small held-out sets accuracy ties
// are common; the paper has no tie rule); with SoupMetric::loss the mean loss alone (lower is
// better).
//
// Ingredients are model folders or `model+adapter` references (merge/input_model.h: a PEFT
// LoRA/DoRA adapter merged into its base), read tensor by tensor as f32. Memory: the running
// sum (one model in f32) and the model evaluated (the first ingredient's folder loaded, its
// weights replaced by each candidate's, in the dtypes it holds them in) besides the tensor being
// read.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "eval/file_evaluation.h"
#include "io/safetensors_writer.h"
#include "merge/merge_config.h"

namespace retune::merge {

enum class SoupMetric { accuracy, loss };

struct SoupScore {
  std::optional<double> accuracy;  // mean exact match; nullopt under SoupMetric::loss
  double loss = 0;                 // mean loss over the files
};

// Whether `a` is strictly better than `b` under `metric`.
bool better_score(const SoupScore& a, const SoupScore& b, SoupMetric metric);

// A candidate of the greedy pass: the soup so far with one more ingredient.
struct SoupCandidate {
  size_t ingredient = 0;  // index into the ingredients
  SoupScore score;
  bool kept = false;
};

struct GreedySoupResult {
  std::vector<SoupScore> ingredients;  // each ingredient's own score, in input order
  std::vector<size_t> order;           // ingredient indices, best score first (stable)
  std::vector<SoupCandidate> tried;    // the candidates after the first ingredient, in order
  std::vector<size_t> kept;            // the soup's ingredients, in the order they were added
  SoupScore soup;                      // the greedy soup's score
  SoupScore uniform;                   // the uniform soup's (all ingredients), for comparison
  NamedTensors weights;                // the greedy soup, f32, by name in the first folder's order
};

// Progress lines ("ingredient 2/5 ../b: accuracy 0.812, loss 0.4412"), as they happen.
using SoupProgress = std::function<void(const std::string& line)>;

// Scores every ingredient on `heldout`, then makes the greedy soup and scores the uniform one.
// Throws an Error for fewer than two ingredients, an ingredient whose architecture, weight names
// or shapes differ from the first's (naming the folder and the tensor), and for
// SoupMetric::accuracy when no held-out file has prompt/completion pairs to score.
GreedySoupResult greedy_soup(const std::vector<ModelReference>& ingredients,
                             eval::EvaluationFiles& heldout, SoupMetric metric,
                             const SoupProgress& progress = {});

}  // namespace retune::merge
