// Writing a model folder made from scratch: the tokenizer files, config.json and
// generation_config.json (pretrain/model_spec.h) and model.safetensors with freshly drawn
// weights (pretrain/initial_weights.h), atomically (io/atomic_folder.h): on any error nothing is
// left at the path, and an existing folder there is replaced whole only on success.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include "pretrain/model_spec.h"

namespace retune::pretrain {

// Writes the tokenizer files into the (temporary) folder it is given.
using TokenizerWriter = std::function<void(const std::filesystem::path& folder)>;

// Copies a tokenizer folder's tokenizer.json (required: an Error naming it when missing) and its
// tokenizer_config.json, special_tokens_map.json and chat_template.jinja when present.
TokenizerWriter copy_tokenizer_from(const std::filesystem::path& tokenizer_folder);

// Writes the folder at `out`. The spec's vocab and token ids are taken from the tokenizer that
// write_tokenizer writes (loaded with retune's Tokenizer): vocab is its largest id plus one, eos
// its tokenizer_config.json eos_token (required), bos its bos_token or else eos, pad as
// data/pad_token.h picks it. Returns the spec written. Throws an Error for an invalid spec
// (validate_model_spec) before anything is drawn.
ModelSpec write_initial_model_folder(const std::filesystem::path& out, ModelSpec spec,
                                     uint64_t seed, const TokenizerWriter& write_tokenizer);

}  // namespace retune::pretrain
