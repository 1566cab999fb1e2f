// load_fresh_tokenizer(files, dir): writes a fresh tokenizer's files into dir and loads them
// with retune's Tokenizer, as a model folder's tokenizer is loaded.
#pragma once

#include <filesystem>

#include "pretrain/tokenizer_files.h"
#include "tokenizer/tokenizer.h"

namespace retune {

inline Tokenizer load_fresh_tokenizer(const pretrain::TokenizerFiles& files,
                                      const std::filesystem::path& dir) {
  pretrain::write_tokenizer_files(dir, files);
  return Tokenizer::load(dir);
}

}  // namespace retune
