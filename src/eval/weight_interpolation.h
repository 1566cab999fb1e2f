// WiSE-FT weight interpolation (Wortsman et al. 2022, "Robust fine-tuning of zero-shot
// models"): the weights θ(α) = (1 − α)·θ_base + α·θ_tuned for α in [0, 1] trade what the
// fine-tuning learned (α = 1) against what the base knew (α = 0), to limit forgetting after
// training.
//
// The tuned end is either
//   - a fine-tuned model folder of the same architecture (full fine-tuning output): every weight
//     interpolates, and both models must have the same weight names and shapes; or
//   - a PEFT adapter folder of the base (LoRA, DoRA, IA3: adapters::load_adapter): the tuned end
//     is the adapter merged (adapters::TrainedAdapter::merged_weights, PEFT's merge_and_unload),
//     so a LoRA module's weight is W0 + α·ΔW. For DoRA and IA3 (whose merge also scales a bias)
//     the merged tensors interpolate the same way,
//     θ(α) = W0 + α·(W_merged − W0): a straight line between the two weights, not a scaled
//     magnitude or direction. Weights the adapter saves in full (modules_to_save) interpolate
//     like a fine-tuned model's; a tied head saved so becomes the model's own lm_head.weight,
//     interpolated from the embedding table. Every other weight is the base's.
//
// Each weight is computed as (1 − α)·base + α·tuned in f32, so α = 0 gives the base's weights and
// α = 1 the tuned ones exactly, and is then stored in the dtype the base folder stores it in
// (io/model_folder_writer.h in_base_dtypes; a head the base ties stays f32): the model evaluated
// in memory is the one written to a folder.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "io/safetensors_writer.h"
#include "model/causal_lm.h"

namespace retune::eval {

class WeightInterpolation {
 public:
  // Loads both model folders and pairs their weights by name, in the base's order. Throws an
  // Error for a folder that is no model, and one naming the first weight the other model lacks
  // or whose shape differs, or the architectures when they differ.
  static WeightInterpolation with_tuned_model(const std::filesystem::path& base_folder,
                                              const std::filesystem::path& tuned_folder);
  // Loads the base and the adapter (adapters::load_adapter, whose Errors name the adapter's file
  // and the module or tensor that does not fit the base).
  static WeightInterpolation with_adapter(const std::filesystem::path& base_folder,
                                          const std::filesystem::path& adapter_folder);

  // Every weight of the model at `alpha`, by Hugging Face name in the model's order (a weight
  // the tuned end does not change is the base's own tensor). Throws unless 0 <= alpha <= 1.
  NamedTensors weights_at(double alpha) const;
  // The base model with the weights at `alpha` set in it (model::set_weight), to evaluate.
  std::unique_ptr<model::CausalLm> model_at(double alpha) const;
  // Writes the model at `alpha` as a Hugging Face model folder (io/model_folder_writer.h,
  // atomically: an existing folder is replaced whole, nothing is written on an error), with the
  // base folder's config and tokenizer files; tie_word_embeddings false when the head is untied.
  void write_model_folder(double alpha, const std::filesystem::path& out_folder) const;

 private:
  struct WeightPair {
    std::string name;
    Tensor base;   // the base model's weight
    Tensor tuned;  // the tuned end's, f32 or a stored dtype; undefined: the base's
  };

  WeightInterpolation(std::filesystem::path base_folder, std::vector<WeightPair> weights)
      : base_folder_(std::move(base_folder)), weights_(std::move(weights)) {}

  std::filesystem::path base_folder_;
  std::vector<WeightPair> weights_;  // in the model's order; a head the adapter unties last
};

}  // namespace retune::eval
