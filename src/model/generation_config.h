// GenerationConfig: the decoding settings of a Hugging Face model folder, read from its
// generation_config.json (an optional file).
//
// A field that is absent or null takes the value transformers 5 gives it at generation time:
// its GenerationConfig fields default to None, and generate() fills the unset ones from
// GenerationConfig._get_default_generation_params(): do_sample false, temperature 1, top_k 50,
// top_p 1, max_length 20 (prompt included); min_p stays unset (off). These are the values 4.x's
// constructor used, so both versions decode alike; note that top_k 50 applies whenever
// do_sample is true and the file names no top_k. A folder without the file reads the same fields
// from its config.json instead, as transformers' GenerationConfig.from_model_config does (the
// token ids, and the sampling fields that 4.x-era configs still carry); a folder with neither
// file gets the defaults and no token ids.
//
// Only the fields below are read; the rest are ignored, including ones that change what
// transformers generates, such as repetition_penalty (Qwen2.5-Instruct sets 1.05).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/sampler.h"

namespace retune::model {

struct GenerationConfig {
  bool do_sample = false;
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 1.0;
  double min_p = 0.0;
  // The length limit: prompt + max_new_tokens when max_new_tokens is set (it takes precedence,
  // as in transformers), else max_length tokens in all.
  std::optional<int64_t> max_new_tokens;
  int64_t max_length = 20;
  std::vector<int32_t> eos_token_ids;  // eos_token_id: an id, a list of ids, or null (none)
  std::optional<int32_t> bos_token_id;
  std::optional<int32_t> pad_token_id;
};

// Parses a generation_config.json document; `source` (the file's path) starts every error
// message. A field of the wrong type, a max_new_tokens or max_length below 1, a top_k below 0, a
// token id outside int32 or, when do_sample is true, a sampling field out of range
// (validate_sampling_options) throws retune::Error naming the field.
GenerationConfig parse_generation_config(const nlohmann::json& config, const std::string& source);

// Reads and parses `folder`/generation_config.json, else `folder`/config.json, else the defaults.
GenerationConfig load_generation_config(const std::filesystem::path& folder);

// The sampler's options for `config` (seed 0).
SamplingOptions sampling_options(const GenerationConfig& config);

}  // namespace retune::model
