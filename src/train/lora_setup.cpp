#include "train/lora_setup.h"

#include <string_view>

namespace retune::train {

adapters::LoraConfig lora_config(const LoraSettings& settings) {
  adapters::LoraConfig config;
  config.r = settings.r;
  config.lora_alpha = settings.alpha;
  config.lora_dropout = settings.dropout;
  config.use_rslora = settings.use_rslora;
  config.use_dora = settings.use_dora;
  using Start = adapters::LoraStartMethod;
  constexpr std::string_view kNiter = "pissa_niter_";
  const std::string& init = settings.init;
  if (init == "gaussian") config.init_lora_weights = adapters::LoraInit::gaussian;
  if (init == "pissa") config.start = Start::pissa;
  if (init.starts_with(kNiter)) {
    config.start = Start::pissa;
    config.pissa_niter = std::stoll(init.substr(kNiter.size()));
  }
  if (init == "olora") config.start = Start::olora;
  if (init == "eva") config.start = Start::eva;
  if (init == "corda") config.start = Start::corda;
  if (init == "lora_ga") config.start = Start::lora_ga;
  using Form = adapters::ModuleSelector::Form;
  if (settings.target_regex) {
    config.target_modules = {.form = Form::regex, .regex = *settings.target_regex};
  } else if (settings.target_modules == std::vector<std::string>{"all-linear"}) {
    config.target_modules = {.form = Form::all_linear};
  } else {
    config.target_modules = {.form = Form::names, .names = settings.target_modules};
  }
  if (!settings.exclude_modules.empty()) {
    config.exclude_modules = {.form = Form::names, .names = settings.exclude_modules};
  }
  config.layers_to_transform = settings.layers_to_transform;
  config.rank_pattern.assign(settings.rank_pattern.begin(), settings.rank_pattern.end());
  config.alpha_pattern.assign(settings.alpha_pattern.begin(), settings.alpha_pattern.end());
  config.modules_to_save = settings.modules_to_save;
  return config;
}

bool lora_init_calibrates(const LoraSettings& settings) {
  return settings.init == "eva" || settings.init == "corda" || settings.init == "lora_ga";
}

adapters::LoraStartOptions lora_start_options(const TrainConfig& config,
                                              const std::vector<TokenizedExample>& calibration,
                                              int32_t pad_id) {
  const LoraSettings& lora = config.lora;
  adapters::LoraStartOptions options{
      .corda_mode = lora.corda_mode == "kpm" ? adapters::CordaMode::kpm : adapters::CordaMode::ipm,
      .eva = {.rho = lora.eva_rho,
              .tau = lora.eva_tau,
              .use_label_mask = lora.eva_label_mask,
              .adjust_scaling_factors = lora.eva_adjust_scaling,
              .max_passes = lora.eva_max_passes},
      .lora_ga = {.variant = lora.loraga_variant == "peft" ? adapters::LoraGaVariant::peft
                                                           : adapters::LoraGaVariant::official,
                  .gamma = lora.loraga_gamma}};
  if (lora_init_calibrates(lora)) {
    options.batches =
        adapters::calibration_batches(calibration, config.calibration.rows,
                                      config.calibration.batch_size, config.data.seq_len, pad_id);
  }
  return options;
}

}  // namespace retune::train
