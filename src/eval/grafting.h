// Task-specific skill localisation by grafting (METHODS.md D3; Panigrahi et al. 2023,
// abhishekpanigrahi1996/Skill-Localization-by-grafting): how few of a fine-tuning's changes,
// grafted onto the pretrained model, recover what it learned.
//
//   graft     θ(γ) = θ_pre + γ ⊙ (θ_ft − θ_pre), with the relaxed mask
//             γ = b + (1 − 2b) ⊙ σ(S − 10)
//   b         the base patch: 1 at the round(s · N) entries with the largest |θ_ft − θ_pre| over
//             the grafted weights together (train/sparse_update.h's top_k_mask), else 0
//   S         scores, 0 at the start (γ ≈ b); each epoch one full-batch step on the task loss L
//             of θ(γ): S ← S − lr (1 − 2b) ⊙ (∂L/∂θ ⊙ (θ_ft − θ_pre)) ⊙ σ'(S − 10)
//   final     γ rounded (γ > 0.5 → 1, else 0): the graft keeps θ_ft there, θ_pre elsewhere
//
// Grafted weights: the decoder layers' linear weights (train/sparse_update.h's sparse_maskable,
// as `retune prune` and LT-SFT mask them). The embeddings and the output head stay at θ_pre as in
// the paper, and so do the norms (and GPT-2's biases): the mask then is LT-SFT's mask format,
// which `retune train` reads as sparse.mask.
//
// L is `retune eval`'s loss (eval/loss_evaluation.h: every example in its own row, the mean over
// all scored tokens) on the first `max_batches` batches of the data files together, so its
// gradient is the full-batch one (the paper accumulates up to 128 batches). The same files
// score the models.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "eval/file_evaluation.h"
#include "eval/model_pairing.h"
#include "io/safetensors_writer.h"
#include "model/causal_lm.h"
#include "model/token_batch.h"
#include "model/trainable_weights.h"

namespace retune::eval {

struct GraftOptions {
  double sparsity = 0.01;     // s: the base patch's share of the grafted entries, in (0, 1]
  int64_t epochs = 10;        // full-batch steps on S, >= 0
  double lr = 1e7;            // large: σ'(S − 10) is about 4.5e-5 at the start
  int64_t max_batches = 128;  // batches the gradient is accumulated over, >= 1
};

// The paper's sigmoid_bias: σ(S − 10) ≈ 4.5e-5 at S = 0.
inline constexpr double kGraftSigmoidBias = 10;

// One grafted weight, its entries flat in the stored (row-major) order.
struct GraftRegion {
  std::string name;            // the Hugging Face name
  std::vector<float> base;     // θ_pre
  std::vector<float> tuned;    // θ_ft
  std::vector<uint8_t> patch;  // b: 1 in the base patch
  std::vector<float> scores;   // S
};

// γ of one entry.
double relaxed_mask(uint8_t patch, double score);
// γ of one entry rounded: 1 when γ > 0.5.
bool rounded_mask(uint8_t patch, double score);

// The regions of the grafted weights among `pairs`, in their order, with the base patch of
// k = max(1, round(s · N)) entries (N: the grafted entries) and S = 0. Throws an Error unless
// 0 < s <= 1 and some pair is a grafted weight.
std::vector<GraftRegion> base_patch(const std::vector<PairedWeight>& pairs, double sparsity);

// θ(γ) of one region: with γ rounded, θ_ft where it is 1 and θ_pre where it is 0 (exactly).
std::vector<float> grafted_values(const GraftRegion& region, bool rounded);

// One update of the region's scores from the gradient ∂L/∂θ at θ(γ) (f32, the weight's shape).
void update_scores(GraftRegion& region, const Tensor& gradient, double lr);

// The rounded mask in LT-SFT's format (train/sparse_update.h: per weight with a 1, the i64
// ascending flat indices of its ones), and how many ones it has.
NamedTensors graft_mask(const std::vector<GraftRegion>& regions, int64_t* ones = nullptr);

// A micro-batch of the gradient pass and its share of the scored tokens.
struct GradientBatch {
  model::TokenBatch batch;
  double weight = 0;  // its scored tokens / all the batches' scored tokens
};

// The files' examples together, in order, laid out as `retune eval` lays them out; the first
// `max_batches` batches that score a token. Throws an Error when no example scores a token.
std::vector<GradientBatch> gradient_batches(const EvaluationFiles& files, int64_t max_batches);

// The grafting of one model: `model` holds θ_pre when given; its grafted weights become owned
// f32 copies that apply() overwrites. The model must outlive the Grafting.
class Grafting {
 public:
  Grafting(model::CausalLm& model, std::vector<GraftRegion> regions);
  // Sets the model's grafted weights to θ(γ).
  void apply(bool rounded);
  // One epoch: θ(γ) applied (relaxed), ∂L/∂θ accumulated over `batches`, S updated. Returns L
  // at θ(γ) before the update.
  double step(const std::vector<GradientBatch>& batches, double lr);
  const std::vector<GraftRegion>& regions() const { return regions_; }

 private:
  model::TrainingSetup setup_;
  std::vector<GraftRegion> regions_;  // in setup_.weights' order
};

// A model's score on the data files, as `retune eval` gives it.
struct GraftScore {
  double loss = 0;                 // mean over the files
  std::optional<double> accuracy;  // mean exact match of the files with prompt/completion pairs
};

// (graft − pre) / (tuned − pre): the share of the fine-tuning's gain the graft keeps; nullopt
// when tuned equals pre.
std::optional<double> recovered_fraction(double pre, double tuned, double graft);

struct GraftResult {
  int64_t grafted_entries = 0;          // N: entries of the grafted weights
  int64_t patch_ones = 0;               // ones of b
  int64_t graft_ones = 0;               // ones of the final rounded mask
  GraftScore pre, tuned, patch, graft;  // θ_pre, θ_ft, the base patch (b), the final graft
  std::vector<double> epoch_losses;     // L at the relaxed θ(γ) before each epoch's update
  int64_t batches = 0;                  // the gradient's batches
  NamedTensors weights;                 // the final graft's every weight, in the base's order
  NamedTensors mask;                    // the final rounded mask (graft_mask)
};

using GraftProgress = std::function<void(const std::string& line)>;

// Pairs the two folders (eval/model_pairing.h), scores θ_pre and θ_ft on `files`, then makes and
// scores the base patch and the optimised graft. Throws the pairing's Errors, and an Error for
// options out of range.
GraftResult graft(const std::filesystem::path& base_folder,
                  const std::filesystem::path& tuned_folder, EvaluationFiles& files,
                  const GraftOptions& options, const GraftProgress& progress = {});

}  // namespace retune::eval
