#include "adapters/lora_initialisation.h"

#include <algorithm>
#include <map>
#include <string>

#include "adapters/lora_start.h"
#include "adapters/lora_targets.h"
#include "adapters/weight_starts.h"
#include "core/error.h"
#include "core/rng.h"

namespace retune::adapters {
namespace {

float scaling_of(const LoraTarget& target, const LoraConfig& config) {
  return lora_scaling(target.r, target.alpha, config.use_rslora);
}

}  // namespace

LoraModel attach_started_lora(model::CausalLm& model, const LoraConfig& config,
                              const LoraStartOptions& options, uint64_t seed,
                              LoraStartReport* report) {
  if (config.start == LoraStartMethod::random) return attach_lora(model, config, seed);
  RETUNE_CHECK(!config.use_dora || config.start == LoraStartMethod::eva,
               "a residual initialisation (PiSSA, OLoRA, CorDA, LoRA-GA) does not combine with "
               "DoRA");
  const std::vector<LoraTarget> targets = resolve_lora_targets(config, model.linear_sites());
  const bool needs_data = config.start == LoraStartMethod::eva ||
                          config.start == LoraStartMethod::corda ||
                          config.start == LoraStartMethod::lora_ga;
  RETUNE_CHECK(!needs_data || !options.batches.empty(),
               "this LoRA initialisation needs calibration data, and there is none");
  LoraStartReport done;
  LoraConfig started = config;
  std::map<std::string, LoraStart> starts;
  Rng seeds(seed ^ 0x5eed5eedull);
  switch (config.start) {
    case LoraStartMethod::random:
      break;
    case LoraStartMethod::pissa:
    case LoraStartMethod::olora:
      for (const LoraTarget& target : targets) {
        const Tensor weight = linear_weight_f32(target.site);
        starts[target.site.name] = config.start == LoraStartMethod::olora
                                       ? olora_start(weight, target.r)
                                       : pissa_start(weight, target.r, scaling_of(target, config),
                                                     config.pissa_niter, seeds.next_u64());
      }
      break;
    case LoraStartMethod::corda: {
      const std::map<std::string, Tensor> covariances =
          corda_covariances(model, targets, options.batches);
      for (const LoraTarget& target : targets) {
        starts[target.site.name] =
            corda_start(linear_weight_f32(target.site), covariances.at(target.site.name), target.r,
                        scaling_of(target, config), options.corda_mode);
      }
      done.calibration_batches = static_cast<int64_t>(options.batches.size());
      break;
    }
    case LoraStartMethod::lora_ga: {
      std::vector<std::string> names;
      for (const LoraTarget& target : targets) names.push_back(target.site.name + ".weight");
      const std::map<std::string, Tensor> gradients =
          mean_weight_gradients(model, names, options.batches);
      for (const LoraTarget& target : targets) {
        const Tensor& stored = gradients.at(target.site.name + ".weight");
        const Tensor gradient = target.site.conv1d ? stored.transpose(0, 1).clone() : stored;
        starts[target.site.name] =
            lora_ga_start(gradient, target.r, options.lora_ga, seeds.next_u64());
      }
      done.calibration_batches = static_cast<int64_t>(options.batches.size());
      break;
    }
    case LoraStartMethod::eva: {
      EvaResult eva = eva_starts(model, targets, options.batches, options.eva);
      starts = std::move(eva.starts);
      done.calibration_batches = eva.batches;
      // Every module's rank and alpha now as PEFT records them: full-name pattern entries
      // where they differ from r and lora_alpha.
      started.target_modules = {.form = ModuleSelector::Form::names};
      started.rank_pattern.clear();
      started.alpha_pattern.clear();
      for (const LoraTarget& target : targets) {
        const std::string& name = target.site.name;
        if (eva.ranks.at(name) == 0) continue;
        started.target_modules.names.push_back(name);
        if (eva.ranks.at(name) != config.r)
          started.rank_pattern.emplace_back(name, eva.ranks.at(name));
        if (eva.alphas.at(name) != config.lora_alpha) {
          started.alpha_pattern.emplace_back(name, eva.alphas.at(name));
        }
      }
      RETUNE_CHECK(!started.target_modules.names.empty(), "EVA gave every module rank 0");
      break;
    }
  }
  LoraModel lora = attach_lora(model, started, seed);
  apply_lora_starts(model, lora, starts);
  done.modules = static_cast<int64_t>(lora.modules().size());
  for (const LoraModule& module : lora.modules()) {
    done.rank_sum += module.lora->parameters().at(0).value.size(0);
  }
  if (report) *report = done;
  return lora;
}

}  // namespace retune::adapters
