// SsfModel: the SSF pairs one SsfConfig attaches to a model (adapters/ssf_linear.h): a scale γ and
// shift β after each targeted linear and after each targeted decoder-layer norm, y' = γ ⊙ y + β.
// It is SSF's TrainedAdapter (adapters/trained_adapter.h).
//
// A norm has no adapter slot (model/norm_site.h): its pair is one SsfPair shared by the
// SsfLinear of every linear that reads the norm, which applies it to its input (exact: those
// linears are all that read it), and its gradients accumulate over them.
//
// Merging (export, interpolate: merged_weights()):
//   linear  W' = diag(γ) W,  b' = γ ⊙ (b + W β_n) + β   (W β_n: the shift of an RMSNorm it reads)
//   norm    g' = γ_n ⊙ g;  LayerNorm also b_n' = γ_n ⊙ b_n + β_n
// A linear without a bias whose architecture has a flag for one (Llama's attention_bias and
// mlp_bias, Qwen3's attention_bias) gets it: merged_config_changes() turns the flag on and
// merged_weights() includes every bias the flag then calls for (zeros where nothing merges).
// Where no bias can exist (Qwen2's o_proj, the Qwen2/Qwen3 MLP) a shift cannot merge: with
// unmergeable_shifts false such shifts are not created (the scale is), so every adapter
// merges; with true they are, the adapter works unmerged, and merged_weights() throws naming the
// module.
//
// Folder (docs/formats.md): adapter_config.json (adapters/ssf_config.h, target_modules resolved
// to full names) and adapter_model.safetensors with, per module, f32
//   base_model.model.<module>.ssf_scale  [W]   W: a linear's out features, a norm's width
//   base_model.model.<module>.ssf_shift  [W]   absent for a shift not created
//
// Ownership: the model and the SsfModel share each SsfLinear and the base weights the sites view.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "adapters/ssf_config.h"
#include "adapters/ssf_linear.h"
#include "adapters/trained_adapter.h"
#include "model/causal_lm.h"

namespace retune::adapters {

// One targeted module and its pair.
struct SsfModule {
  std::string name;  // "model.layers.0.input_layernorm", "model.layers.0.self_attn.q_proj"
  std::shared_ptr<SsfPair> pair;
};

// One linear that runs an SsfLinear (targeted, or reading a targeted norm).
struct SsfLinearSlot {
  model::LinearSite site;
  std::shared_ptr<SsfLinear> ssf;
  bool input_shift_in_bias = false;  // it reads an RMSNorm's shift, which merges into its bias
};

// The targeted norms and their pairs, index by index.
struct SsfNorms {
  std::vector<model::NormSite> sites;
  std::vector<std::shared_ptr<SsfPair>> pairs;
};

class SsfModel final : public TrainedAdapter {
 public:
  // `sites`: every linear of the model; `unmergeable`: why merging is refused (the first shift
  // that cannot merge), or "".
  SsfModel(SsfConfig config, std::vector<SsfModule> modules, std::vector<SsfLinearSlot> linears,
           SsfNorms norms, std::vector<model::LinearSite> sites, std::string unmergeable);

  // The config as it is saved: target_modules the full names of the modules, in their order.
  const SsfConfig& config() const { return config_; }
  // The targeted modules in the order the model runs them (adapters/ssf_targets.h).
  const std::vector<SsfModule>& modules() const { return modules_; }
  // How many of the modules are norms.
  size_t norm_count() const { return norms_.size(); }
  // The linears that run an SsfLinear, in the model's order.
  const std::vector<SsfLinearSlot>& linears() const { return linears_; }
  const std::vector<std::string>& saved_weights() const override { return saved_weights_; }

  // Each module's ssf_scale and ssf_shift (where created) with their gradients, named by key.
  std::vector<AdapterParameter> parameters() const override;
  // Throws, naming the module, when a shift cannot merge (unmergeable_shifts true).
  NamedTensors merged_weights() const override;
  // Moves every pair there, the linears' views of the model's weights and biases following them.
  void move_to(model::CausalLm& model, Device device) override;
  nlohmann::json merged_config_changes() const override;
  void save(model::CausalLm& model, const std::filesystem::path& folder,
            const std::string& base_model_name_or_path) const override;

 private:
  SsfConfig config_;
  std::vector<SsfModule> modules_;
  std::vector<SsfLinearSlot> linears_;
  std::vector<model::NormSite> norms_;  // the targeted ones
  std::vector<std::shared_ptr<SsfPair>> norm_pairs_;
  std::vector<model::LinearSite> sites_;  // every linear of the model
  std::string unmergeable_;
  std::vector<std::string> saved_weights_;  // none
};

// Attaches new SSF pairs, γ ~ N(1, σ²) and β ~ N(0, σ²) with σ = config.init_std, drawn from
// `seed` (each module its own stream), to the modules `config` selects (adapters/ssf_targets.h,
// which lists the errors).
SsfModel attach_ssf(model::CausalLm& model, const SsfConfig& config, uint64_t seed);

// Reads `folder`'s adapter_config.json and adapter_model.safetensors and attaches the adapter to
// `model` (only when both are valid: an error leaves the model as it was). Throws an Error
// naming the file and field or tensor: a module the config targets that the model lacks, a
// tensor that is not an ssf_scale / ssf_shift of a targeted module (or a shift that
// unmergeable_shifts false does not create), one of the wrong shape or dtype, a missing one.
SsfModel load_ssf(model::CausalLm& model, const std::filesystem::path& folder);

}  // namespace retune::adapters
