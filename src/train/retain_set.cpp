#include "train/retain_set.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "eval/loss_evaluation.h"

namespace retune::train {

using nlohmann::json;

RetainSet::RetainSet(const std::vector<std::filesystem::path>& files,
                     std::vector<std::vector<Example>> examples, Tokenizer& tokenizer,
                     const TokenizeOptions& tokenize,
                     std::optional<eval::ExactMatchOptions> exact_match)
    : examples_(std::move(examples)), tokenizer_(tokenizer), exact_match_(std::move(exact_match)) {
  for (size_t i = 0; i < files.size(); ++i) {
    results_.push_back({.file = files[i]});
    tokens_.push_back(tokenize_examples(examples_[i], tokenizer, tokenize));
  }
}

std::vector<TokenizedExample> RetainSet::all_tokens() const {
  std::vector<TokenizedExample> all;
  for (const std::vector<TokenizedExample>& file : tokens_) {
    all.insert(all.end(), file.begin(), file.end());
  }
  return all;
}

json RetainSet::base_state() const {
  json losses = json::array();
  json accuracies = json::array();
  for (const RetainResult& r : results_) {
    losses.push_back(r.base_loss);
    accuracies.push_back(r.base_accuracy.value_or(-1.0));
  }
  return {{"losses", losses}, {"accuracies", accuracies}};
}

void RetainSet::set_base_state(const json& state) {
  const auto losses = state.at("losses").get<std::vector<double>>();
  const auto accuracies = state.at("accuracies").get<std::vector<double>>();
  RETUNE_CHECK(losses.size() == results_.size() && accuracies.size() == results_.size(),
               "the checkpoint has base results for {} retain files, the config names {}: it "
               "was made by another config",
               losses.size(), results_.size());
  for (size_t i = 0; i < losses.size(); ++i) {
    results_[i].base_loss = losses[i];
    if (accuracies[i] >= 0) results_[i].base_accuracy = accuracies[i];
  }
  has_base_ = true;
}

json RetainSet::evaluate(const model::CausalLm& model, int64_t seq_len, int64_t batch_size,
                         int32_t pad_id) {
  json report = json::object();
  for (size_t i = 0; i < results_.size(); ++i) {
    const eval::LossEvaluation loss =
        eval::evaluate_loss(model, tokens_[i], seq_len, batch_size, pad_id);
    RetainResult& r = results_[i];
    if (!has_base_) r.base_loss = loss.loss;
    r.last_loss = loss.loss;
    json line = {
        {"loss", loss.loss}, {"perplexity", loss.perplexity()}, {"forgetting", r.forgetting()}};
    if (exact_match_) {
      const eval::ExactMatch match =
          eval::exact_match(model, tokenizer_, examples_[i], *exact_match_);
      if (match.scored > 0) {
        if (!has_base_) r.base_accuracy = match.accuracy();
        r.last_accuracy = match.accuracy();
        line["accuracy"] = match.accuracy();
        if (r.base_accuracy) line["accuracy_drop"] = *r.base_accuracy - match.accuracy();
      }
    }
    report[r.file.string()] = line;
  }
  has_base_ = true;
  return report;
}

const RetainResult& RetainSet::most_forgotten() const {
  return *std::max_element(results_.begin(), results_.end(), [](const auto& a, const auto& b) {
    return a.forgetting() < b.forgetting();
  });
}

}  // namespace retune::train
