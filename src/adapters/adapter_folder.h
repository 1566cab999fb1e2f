// PEFT adapter folders, whatever the method: adapter_config.json beside
// adapter_model.safetensors, as PEFT 0.21's save_pretrained writes them and
// PeftModel.from_pretrained reads them. The methods (adapters/lora_model.h, adapters/ia3_model.h)
// say what goes in them; this is how the files are written and read.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/tensor.h"
#include "io/safetensors_writer.h"

namespace retune::adapters {

inline constexpr const char* kAdapterConfigFile = "adapter_config.json";
inline constexpr const char* kAdapterWeightsFile = "adapter_model.safetensors";
// Poly's task names (adapters/poly_model.h), a file PEFT ignores.
inline constexpr const char* kPolyTasksFile = "poly_tasks.json";

// Writes `folder` atomically (io/atomic_folder.h): `tensors` (header metadata {"format": "pt"})
// and `config` (dumped as PEFT does: sorted keys, indent 2), and each of `side_files` (name ->
// JSON, dumped with indent 2; only kPolyTasksFile). An existing adapter folder is replaced
// whole; a folder holding anything else is refused, naming the file it would delete.
void write_adapter_folder(const std::filesystem::path& folder, const NamedTensors& tensors,
                          const nlohmann::json& config,
                          const std::map<std::string, nlohmann::json>& side_files = {});

// folder / adapter_model.safetensors; throws naming adapter_model.bin when only a PyTorch pickle
// is there.
std::filesystem::path adapter_weights_file(const std::filesystem::path& folder);

// Reads the tensors of `file` into `expected` (PEFT key -> a tensor of the adapter's, f32, written
// through). Throws an Error naming the file and tensor for a tensor not in `expected` (the
// message after the file name is `unexpected(key)`), one that is not a float or has another
// shape, and a missing one; `expected` may then be partly written.
void read_adapter_tensors(const std::filesystem::path& file,
                          const std::map<std::string, Tensor>& expected,
                          const std::function<std::string(const std::string&)>& unexpected);

}  // namespace retune::adapters
