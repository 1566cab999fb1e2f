// The token id that pads rows: tokenizer_config.json's pad_token when the folder's config names
// one, else the tokenizer's eos, else 0 (padding is never trained and is a document of its own,
// so the choice only shows in the rows).
#pragma once

#include <cstdint>
#include <filesystem>

#include "tokenizer/tokenizer.h"

namespace retune {

// Throws an Error naming the config for a pad_token the tokenizer does not have.
int32_t pad_token_id(const std::filesystem::path& tokenizer_folder, const Tokenizer& tokenizer);

}  // namespace retune
