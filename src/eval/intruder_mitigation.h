// `retune analyze intruders --mitigate λ`: PEFT 0.21's reduce_intruder_dimension
// (peft/tuners/lora/intruders.py) on a LoRA adapter folder, written as a new adapter folder.
//
// Every LoRA module of the adapter is analysed as eval/intruder_dimensions.h says (W0 the base's
// weight and W = W0 + s B A, [out, in]; Conv1D transposed); a module with intruders gets the
// mitigated factors (mitigated_lora_factors, at the module's own rank and scaling: rank_pattern,
// alpha_pattern and rsLoRA as the adapter has them); one without keeps its A and B. The folder is
// written as retune saves LoRA adapters (adapters/lora_model.h save_lora: atomically, f32, the
// same config, modules_to_save weights as the adapter saved them), with the input adapter's
// base_model_name_or_path (the base folder when it has none).
//
// Errors (retune::Error, naming the file): an adapter whose peft_type is not "LORA", a DoRA
// adapter (use_dora: its merge is not s B A, and PEFT's mitigation ignores the magnitude), bad
// options (check_intruder_options; λ outside [0, 1]), and the loader's errors (an adapter that
// does not fit the base names the module or tensor). Nothing is written on an error.
#pragma once

#include <filesystem>
#include <vector>

#include "eval/intruder_dimensions.h"

namespace retune::eval {

// The intruders found (before mitigation), module by module in the model's order.
std::vector<ModuleIntruders> mitigate_intruders(const std::filesystem::path& base_folder,
                                                const std::filesystem::path& adapter_folder,
                                                const std::filesystem::path& out_folder,
                                                const IntruderOptions& options, double lambda);

}  // namespace retune::eval
