#include "merge/greedy_soup.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <span>
#include <utility>

#include "core/error.h"
#include "eval/interpolation_sweep.h"
#include "merge/input_model.h"
#include "model/causal_lm.h"
#include "model/trainable_weights.h"

namespace retune::merge {
namespace {

// The running sum of the soup's ingredients, f32, one entry per weight the model names.
struct WeightSum {
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  std::vector<std::vector<float>> values;
  int64_t count = 0;
};

// Checks `other` against the first ingredient: architecture, weight names and shapes.
void check_same_weights(const InputModel& first, const InputModel& other) {
  RETUNE_CHECK(other.architecture() == first.architecture(),
               "{}: architecture {}, but the first ingredient {} is {}", other.label(),
               other.architecture(), first.label(), first.architecture());
  for (const std::string& name : first.names()) {
    RETUNE_CHECK(other.has(name), "{}: no tensor {}, which the first ingredient {} has",
                 other.label(), name, first.label());
    RETUNE_CHECK(other.shape(name) == first.shape(name),
                 "{}: tensor {} has shape {}, but the first ingredient {} has {}", other.label(),
                 name, other.shape(name).str(), first.label(), first.shape(name).str());
  }
  for (const std::string& name : other.names()) {
    RETUNE_CHECK(first.has(name), "{}: tensor {}, which the first ingredient {} lacks",
                 other.label(), name, first.label());
  }
}

// values += add, where empty values (a sum of nothing yet) count as zeros.
void add_values(std::vector<float>& values, std::vector<float> add) {
  if (values.empty()) {
    values = std::move(add);
    return;
  }
  for (size_t i = 0; i < values.size(); ++i) values[i] += add[i];
}

// (sum + extra) / count for every weight (extra: none when null), as named f32 tensors.
NamedTensors averaged(const WeightSum& sum, const InputModel* extra) {
  const int64_t count = sum.count + (extra ? 1 : 0);
  const float scale = 1.0F / static_cast<float>(count);
  NamedTensors out;
  for (size_t w = 0; w < sum.names.size(); ++w) {
    std::vector<float> values = sum.values[w];
    if (extra) add_values(values, extra->read(sum.names[w], std::nullopt));
    for (float& v : values) v *= scale;
    out.emplace_back(sum.names[w], Tensor::from_vector(sum.shapes[w], DType::f32,
                                                       std::span<const float>(values)));
  }
  return out;
}

void add_to(WeightSum& sum, const InputModel& ingredient) {
  for (size_t w = 0; w < sum.names.size(); ++w) {
    add_values(sum.values[w], ingredient.read(sum.names[w], std::nullopt));
  }
  ++sum.count;
}

std::string score_text(const SoupScore& score) {
  return score.accuracy ? fmt::format("accuracy {:.4f}, loss {:.4f}", *score.accuracy, score.loss)
                        : fmt::format("loss {:.4f}", score.loss);
}

}  // namespace

bool better_score(const SoupScore& a, const SoupScore& b, SoupMetric metric) {
  if (metric == SoupMetric::accuracy && *a.accuracy != *b.accuracy) {
    return *a.accuracy > *b.accuracy;
  }
  return a.loss < b.loss;
}

GreedySoupResult greedy_soup(const std::vector<ModelReference>& ingredients,
                             eval::EvaluationFiles& heldout, SoupMetric metric,
                             const SoupProgress& progress) {
  RETUNE_CHECK(ingredients.size() >= 2, "a soup needs at least two ingredients, got {}",
               ingredients.size());
  std::vector<std::unique_ptr<InputModel>> models;
  for (const ModelReference& reference : ingredients) {
    models.push_back(std::make_unique<InputModel>(reference));
    check_same_weights(*models.front(), *models.back());
  }
  const auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };

  // The model scored: the first folder's, its weights replaced by each candidate's. Every weight
  // it names must come from the ingredients.
  std::unique_ptr<model::CausalLm> scored = model::load_causal_lm(ingredients.front().model);
  WeightSum empty;
  for (const auto& [name, weight] : model::named_weights(*scored)) {
    RETUNE_CHECK(models.front()->has(name), "{}: no tensor {}, which its model needs",
                 models.front()->label(), name);
    empty.names.push_back(name);
    empty.shapes.push_back(weight.shape());
    empty.values.emplace_back();
  }
  const auto score = [&](const NamedTensors& weights) {
    model::replace_weights(*scored, weights);
    const std::vector<eval::FileEvaluation> files = heldout.evaluate_all(*scored);
    SoupScore out{.accuracy = std::nullopt, .loss = eval::mean_loss(files)};
    if (metric == SoupMetric::accuracy) {
      out.accuracy = eval::mean_accuracy(files);
      RETUNE_CHECK(out.accuracy,
                   "the accuracy metric needs held-out files with prompt/completion pairs to "
                   "score; use the loss metric for plain text");
    }
    return out;
  };

  GreedySoupResult result;
  for (size_t i = 0; i < models.size(); ++i) {
    result.ingredients.push_back(score(averaged(empty, models[i].get())));
    say(fmt::format("ingredient {}/{} {}: {}", i + 1, models.size(), models[i]->label(),
                    score_text(result.ingredients.back())));
  }
  result.order.resize(models.size());
  std::iota(result.order.begin(), result.order.end(), size_t{0});
  std::stable_sort(result.order.begin(), result.order.end(), [&](size_t a, size_t b) {
    return better_score(result.ingredients[a], result.ingredients[b], metric);
  });

  WeightSum soup = empty;
  add_to(soup, *models[result.order.front()]);
  result.kept.push_back(result.order.front());
  result.soup = result.ingredients[result.order.front()];
  for (size_t k = 1; k < result.order.size(); ++k) {
    const size_t next = result.order[k];
    SoupCandidate candidate{
        .ingredient = next, .score = score(averaged(soup, models[next].get())), .kept = false};
    candidate.kept = better_score(candidate.score, result.soup, metric);
    if (candidate.kept) {
      add_to(soup, *models[next]);
      result.kept.push_back(next);
      result.soup = candidate.score;
    }
    say(fmt::format("soup + {}: {} ({})", models[next]->label(), score_text(candidate.score),
                    candidate.kept ? "kept" : "left out"));
    result.tried.push_back(candidate);
  }
  result.weights = averaged(soup, nullptr);

  WeightSum all = empty;
  for (const auto& model : models) add_to(all, *model);
  result.uniform = score(averaged(all, nullptr));
  say(fmt::format("uniform soup of all {}: {}", models.size(), score_text(result.uniform)));
  return result;
}

}  // namespace retune::merge
