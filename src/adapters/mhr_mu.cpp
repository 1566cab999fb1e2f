#include "adapters/mhr_mu.h"

#include <vector>

#include "adapters/poly_model.h"
#include "core/error.h"

namespace retune::adapters {

LoraModel attach_mhr_mu(model::CausalLm& model, const std::filesystem::path& poly_folder,
                        LoraConfig settings, uint64_t seed) {
  RETUNE_CHECK(!settings.use_rslora && !settings.use_dora,
               "lora.init mhr_mu: the averaged skills make a plain LoRA (no rsLoRA, no DoRA)");
  const PolyModel poly = load_poly(model, poly_folder);
  const PolyShape& shape = poly.config().shape;
  settings.r = shape.r;
  settings.lora_alpha = 1;
  settings.init_lora_weights = LoraInit::kaiming_uniform;
  settings.target_modules = {.form = ModuleSelector::Form::names};
  for (const PolyModule& module : poly.modules()) {
    settings.target_modules.names.push_back(module.site.name);
  }
  // Attaching the LoRA replaces the Poly modules on the same linears.
  LoraModel lora = attach_lora(model, settings, seed);
  const std::vector<float> uniform(static_cast<size_t>(shape.n_splits * shape.n_skills),
                                   1.0f / static_cast<float>(shape.n_skills));
  for (size_t i = 0; i < poly.modules().size(); ++i) {
    const PolyLinear& skills = *poly.modules()[i].poly;
    const std::vector<AdapterParameter> parameters = lora.modules()[i].lora->parameters();
    for (const AdapterParameter& p : parameters) {
      if (p.name == "lora_A.weight") p.value.copy_from(skills.mixed_a(uniform).transpose(0, 1));
      if (p.name == "lora_B.weight") p.value.copy_from(skills.mixed_b(uniform).transpose(0, 1));
    }
  }
  return lora;
}

}  // namespace retune::adapters
