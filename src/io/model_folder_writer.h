// Writing a Hugging Face model folder that transformers loads: the base folder's files other
// than its weights (config.json, generation_config.json, tokenizer files, chat template, ...)
// copied as they are, and the given weights as safetensors shards named and indexed as
// save_pretrained names them (io/safetensors_writer.h). The folder is written atomically
// (io/atomic_folder.h): an existing folder of the name is replaced whole.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "io/safetensors_writer.h"

namespace retune {

// transformers' default max_shard_size ("5GB").
inline constexpr uint64_t kDefaultMaxShardBytes = 5'000'000'000;

// `weights` with each converted to the dtype `base_folder`'s safetensors store under its name
// (names the base lacks keep their dtype): a fine-tuned model written as its base was.
NamedTensors in_base_dtypes(const std::filesystem::path& base_folder, NamedTensors weights);

// Weights not copied: *.safetensors, the safetensors index, and PyTorch pickles (*.bin, *.pt).
// A non-empty `config_changes` is merged into config.json (RFC 7386 merge patch:
// {"tie_word_embeddings": false}), which is then written with two-space indents. `add_files`,
// when set, is called with the folder being written (its temporary path) to write more files
// into it before it is renamed into place (a grafted model's mask).
void write_model_folder(
    const std::filesystem::path& base_folder, const NamedTensors& weights,
    const std::filesystem::path& out_folder,
    const nlohmann::json& config_changes = nlohmann::json::object(),
    uint64_t max_shard_bytes = kDefaultMaxShardBytes,
    const std::function<void(const std::filesystem::path& folder)>& add_files = {});

}  // namespace retune
