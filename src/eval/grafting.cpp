#include "eval/grafting.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <utility>

#include "core/error.h"
#include "data/batch_stream.h"
#include "eval/interpolation_sweep.h"
#include "train/sparse_update.h"

namespace retune::eval {
namespace {

double sigmoid(double x) {
  return 1 / (1 + std::exp(-x));
}

GraftScore score(const model::CausalLm& model, EvaluationFiles& files) {
  const std::vector<FileEvaluation> evaluations = files.evaluate_all(model);
  return {.loss = mean_loss(evaluations), .accuracy = mean_accuracy(evaluations)};
}

}  // namespace

double relaxed_mask(uint8_t patch, double score) {
  const double b = patch ? 1 : 0;
  return b + (1 - 2 * b) * sigmoid(score - kGraftSigmoidBias);
}

bool rounded_mask(uint8_t patch, double score) {
  return relaxed_mask(patch, score) > 0.5;
}

std::vector<GraftRegion> base_patch(const std::vector<PairedWeight>& pairs, double sparsity) {
  RETUNE_CHECK(sparsity > 0 && sparsity <= 1, "the base patch's sparsity must be in (0, 1], got {}",
               sparsity);
  NamedTensors base, tuned;
  std::vector<GraftRegion> regions;
  int64_t entries = 0;
  for (const PairedWeight& pair : pairs) {
    if (!train::sparse_maskable(pair.name)) continue;
    base.emplace_back(pair.name, pair.base);
    tuned.emplace_back(pair.name, pair.tuned);
    GraftRegion region{
        .name = pair.name, .base = pair.base.to_f32_vector(), .tuned = pair.tuned.to_f32_vector()};
    region.patch.assign(region.base.size(), 0);
    region.scores.assign(region.base.size(), 0.0F);
    entries += std::ssize(region.base);
    regions.push_back(std::move(region));
  }
  RETUNE_CHECK(entries > 0, "the model has no decoder-layer linear weight to graft");
  const int64_t k = std::max<int64_t>(1, std::llround(sparsity * static_cast<double>(entries)));
  std::map<std::string, GraftRegion*> by_name;
  for (GraftRegion& region : regions) by_name.emplace(region.name, &region);
  for (const auto& [name, indices] : train::top_k_mask(base, tuned, k)) {
    GraftRegion& region = *by_name.at(name);
    const auto* index = indices.data<int64_t>();
    for (int64_t i = 0; i < indices.numel(); ++i) region.patch[index[i]] = 1;
  }
  return regions;
}

std::vector<float> grafted_values(const GraftRegion& region, bool rounded) {
  std::vector<float> values(region.base.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (rounded) {
      values[i] =
          rounded_mask(region.patch[i], region.scores[i]) ? region.tuned[i] : region.base[i];
    } else {
      const double gamma = relaxed_mask(region.patch[i], region.scores[i]);
      values[i] = static_cast<float>(
          region.base[i] + gamma * (static_cast<double>(region.tuned[i]) - region.base[i]));
    }
  }
  return values;
}

void update_scores(GraftRegion& region, const Tensor& gradient, double lr) {
  RETUNE_CHECK(gradient.numel() == std::ssize(region.scores),
               "graft: the gradient of {} has {} entries, the weight {}", region.name,
               gradient.numel(), region.scores.size());
  const std::vector<float> g = gradient.to_f32_vector();
  for (size_t i = 0; i < g.size(); ++i) {
    const double b = region.patch[i] ? 1 : 0;
    const double delta = static_cast<double>(region.tuned[i]) - region.base[i];
    const double s = sigmoid(region.scores[i] - kGraftSigmoidBias);
    region.scores[i] =
        static_cast<float>(region.scores[i] - lr * (1 - 2 * b) * (g[i] * delta) * s * (1 - s));
  }
}

NamedTensors graft_mask(const std::vector<GraftRegion>& regions, int64_t* ones) {
  NamedTensors mask;
  int64_t count = 0;
  for (const GraftRegion& region : regions) {
    std::vector<int64_t> kept;
    for (size_t i = 0; i < region.scores.size(); ++i) {
      if (rounded_mask(region.patch[i], region.scores[i])) kept.push_back(static_cast<int64_t>(i));
    }
    count += std::ssize(kept);
    if (kept.empty()) continue;
    mask.emplace_back(region.name,
                      Tensor::from_vector<int64_t>({std::ssize(kept)}, DType::i64, kept));
  }
  if (ones) *ones = count;
  return mask;
}

std::vector<GradientBatch> gradient_batches(const EvaluationFiles& files, int64_t max_batches) {
  RETUNE_CHECK(max_batches >= 1, "graft: max_batches must be >= 1, got {}", max_batches);
  std::vector<TokenizedExample> examples;
  for (size_t f = 0; f < files.size(); ++f) {
    const std::vector<TokenizedExample>& tokenized = files.tokenized(f);
    examples.insert(examples.end(), tokenized.begin(), tokenized.end());
  }
  RETUNE_CHECK(!examples.empty(), "graft: the data files have no example");
  const FileEvaluationOptions& options = files.options();
  BatchStream stream(
      std::move(examples),
      {.batch_size = options.batch_size,
       .sequences = {.length = options.seq_len, .packing = false, .pad_id = files.pad_id()},
       .shuffle = false});
  std::vector<GradientBatch> batches;
  std::vector<int64_t> tokens;
  int64_t total = 0;
  while (stream.position().epoch == 0 && std::ssize(batches) < max_batches) {
    const Batch batch = stream.next();
    if (batch.target_tokens == 0) continue;
    // One example per row, as evaluate_loss lays them out: no document mask.
    batches.push_back(
        {.batch = {
             .input_ids = batch.input_ids, .labels = batch.labels, .positions = batch.positions}});
    tokens.push_back(batch.target_tokens);
    total += batch.target_tokens;
  }
  RETUNE_CHECK(total > 0, "graft: no example of the data files has a token to score");
  for (size_t i = 0; i < batches.size(); ++i) {
    batches[i].weight = static_cast<double>(tokens[i]) / static_cast<double>(total);
  }
  return batches;
}

Grafting::Grafting(model::CausalLm& model, std::vector<GraftRegion> regions) {
  std::set<std::string> names;
  for (const GraftRegion& region : regions) names.insert(region.name);
  setup_ = model::make_training_step(model,
                                     [&](const std::string& name) { return names.contains(name); });
  std::map<std::string, GraftRegion> by_name;
  for (GraftRegion& region : regions) by_name.emplace(region.name, std::move(region));
  for (const model::TrainedWeight& weight : setup_.weights) {
    const auto found = by_name.find(weight.name);
    RETUNE_CHECK(found != by_name.end() && weight.value.numel() == std::ssize(found->second.base),
                 "graft: the model's weight {} is no grafted region of its size", weight.name);
    regions_.push_back(std::move(found->second));
  }
  RETUNE_CHECK(regions_.size() == names.size(),
               "graft: the model trains {} of the {} grafted weights", regions_.size(),
               names.size());
}

void Grafting::apply(bool rounded) {
  for (size_t i = 0; i < regions_.size(); ++i) {
    const std::vector<float> values = grafted_values(regions_[i], rounded);
    std::copy(values.begin(), values.end(), setup_.weights[i].value.mutable_data<float>());
  }
}

double Grafting::step(const std::vector<GradientBatch>& batches, double lr) {
  apply(false);
  for (const model::TrainedWeight& weight : setup_.weights) weight.grad.fill(0);
  double loss = 0;
  for (const GradientBatch& batch : batches) {
    loss += batch.weight * setup_.step->step(batch.batch, static_cast<float>(batch.weight));
  }
  for (size_t i = 0; i < regions_.size(); ++i) {
    update_scores(regions_[i], setup_.weights[i].grad, lr);
  }
  return loss;
}

std::optional<double> recovered_fraction(double pre, double tuned, double graft) {
  if (tuned == pre) return std::nullopt;
  return (graft - pre) / (tuned - pre);
}

GraftResult graft(const std::filesystem::path& base_folder,
                  const std::filesystem::path& tuned_folder, EvaluationFiles& files,
                  const GraftOptions& options, const GraftProgress& progress) {
  RETUNE_CHECK(options.epochs >= 0, "graft: epochs must be >= 0, got {}", options.epochs);
  RETUNE_CHECK(std::isfinite(options.lr) && options.lr > 0, "graft: lr must be > 0, got {}",
               options.lr);
  const auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  GraftResult result;
  std::vector<GraftRegion> regions =
      base_patch(pair_model_weights(base_folder, tuned_folder), options.sparsity);
  for (const GraftRegion& region : regions) {
    result.grafted_entries += std::ssize(region.base);
  }
  const std::vector<GradientBatch> batches = gradient_batches(files, options.max_batches);
  result.batches = std::ssize(batches);

  result.tuned = score(*model::load_causal_lm(tuned_folder), files);
  const std::unique_ptr<model::CausalLm> model = model::load_causal_lm(base_folder);
  result.pre = score(*model, files);
  Grafting grafting(*model, std::move(regions));
  graft_mask(grafting.regions(), &result.patch_ones);
  grafting.apply(true);
  result.patch = score(*model, files);
  say(fmt::format("base patch of {} of {} entries: loss {:.4f}", result.patch_ones,
                  result.grafted_entries, result.patch.loss));
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    result.epoch_losses.push_back(grafting.step(batches, options.lr));
    say(fmt::format("epoch {}/{}: loss {:.4f} at the relaxed graft", epoch + 1, options.epochs,
                    result.epoch_losses.back()));
  }
  result.mask = graft_mask(grafting.regions(), &result.graft_ones);
  grafting.apply(true);
  result.graft = score(*model, files);
  for (const auto& [name, weight] : model::named_weights(*model)) {
    result.weights.emplace_back(name, weight.clone());
  }
  return result;
}

}  // namespace retune::eval
