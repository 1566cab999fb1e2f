#include "adapters/lora_start.h"

#include <cmath>

#include "adapters/weight_starts.h"
#include "core/error.h"
#include "model/trainable_weights.h"
#include "ops/matmul.h"

namespace retune::adapters {

Tensor linear_weight_f32(const model::LinearSite& site) {
  const Tensor weight = site.linear_weight();
  Tensor out = Tensor::empty(weight.shape(), DType::f32);
  out.copy_from(weight.to(DType::f32));
  return out;
}

namespace {

// The model's weight of module i becomes W - s B0 A0; the module records A0 and B0.
void residualise(model::CausalLm& model, LoraModel& lora, size_t i, const LoraStart& start) {
  const LoraModule& module = lora.modules()[i];
  Tensor weight = linear_weight_f32(module.site);  // [O, I]
  ops::matmul_forward(start.b, start.a, weight, {.alpha = -module.lora->scaling(), .beta = 1.0f});
  model::set_weight(model, module.site.name + ".weight",
                    module.site.conv1d ? weight.transpose(0, 1).contiguous() : weight);
  lora.set_residual_start(i, start.a.clone(), start.b.clone());
}

}  // namespace

float lora_scaling(int64_t r, double alpha, bool use_rslora) {
  return static_cast<float>(use_rslora ? alpha / std::sqrt(static_cast<double>(r))
                                       : alpha / static_cast<double>(r));
}

void check_loadable_start(const LoraConfig& config, const std::string& source) {
  RETUNE_CHECK(!config.use_dora || (config.start != LoraStartMethod::pissa &&
                                    config.start != LoraStartMethod::olora),
               "{}: use_dora with a residual initialisation (init_lora_weights \"pissa\" or "
               "\"olora\") is not supported: DoRA's norms would be of the residual weights",
               source);
  RETUNE_CHECK(config.start != LoraStartMethod::pissa || config.pissa_niter == 0,
               "{}: init_lora_weights \"pissa_niter_{}\": the base weights of this adapter were "
               "residualised with a randomized SVD, which cannot be recomputed; save it converted "
               "(PEFT: path_initial_model_for_weight_conversion)",
               source, config.pissa_niter);
  RETUNE_CHECK(config.start != LoraStartMethod::corda,
               "{}: init_lora_weights \"corda\": the residual base weights need the calibration "
               "covariance; save the adapter converted (PEFT: "
               "path_initial_model_for_weight_conversion)",
               source);
}

void residualise_loaded_lora(model::CausalLm& model, LoraModel& lora) {
  const LoraStartMethod start = lora.config().start;
  if (start != LoraStartMethod::pissa && start != LoraStartMethod::olora) return;
  for (size_t i = 0; i < lora.modules().size(); ++i) {
    const LoraModule& module = lora.modules()[i];
    const int64_t r = module.lora->parameters().at(0).value.size(0);
    const Tensor weight = linear_weight_f32(module.site);
    const LoraStart computed = start == LoraStartMethod::olora
                                   ? olora_start(weight, r)
                                   : pissa_start(weight, r, module.lora->scaling(), 0, 0);
    residualise(model, lora, i, computed);
  }
}

void apply_lora_starts(model::CausalLm& model, LoraModel& lora,
                       const std::map<std::string, LoraStart>& starts) {
  for (size_t i = 0; i < lora.modules().size(); ++i) {
    const LoraModule& module = lora.modules()[i];
    const auto found = starts.find(module.site.name);
    RETUNE_CHECK(found != starts.end(), "no initialisation computed for LoRA module {}",
                 module.site.name);
    const LoraStart& start = found->second;
    RETUNE_CHECK(!start.residual || !lora.config().use_dora,
                 "{}: a residual initialisation does not combine with DoRA", module.site.name);
    module.lora->set_parameter("lora_A.weight", start.a);
    module.lora->set_parameter("lora_B.weight", start.b);
    if (start.residual) residualise(model, lora, i, start);
  }
}

}  // namespace retune::adapters
