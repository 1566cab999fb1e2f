// TokenizerFiles: the two files of a fresh tokenizer folder, tokenizer.json (Hugging Face
// tokenizers' format) and tokenizer_config.json (what transformers' AutoTokenizer reads), as
// built by make_char_tokenizer and make_byte_level_bpe_tokenizer.
//
// Both fresh tokenizers give id 0 to kEndOfText, an added special token that is the bos, eos and
// pad token at once (training appends it after each document and completion; generation stops
// at it). Neither adds special tokens when encoding (no post-processor template).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace retune::pretrain {

inline constexpr const char* kEndOfText = "<|endoftext|>";

struct TokenizerFiles {
  nlohmann::ordered_json tokenizer;  // tokenizer.json, keys in the order tokenizers writes them
  nlohmann::json config;             // tokenizer_config.json, keys sorted
};

// A BPE tokenizer.json: `tokens` is the vocabulary by id, its first `special_count` tokens the
// special ones (also listed as added tokens, matched as written, never normalized); `merges` in
// rank order; `unk_token` null or a token of the vocabulary; no normalizer and no
// post-processor.
struct BpeTokenizerParts {
  std::vector<std::string> tokens;
  size_t special_count = 0;
  std::vector<std::pair<std::string, std::string>> merges;
  nlohmann::ordered_json unk_token;
  nlohmann::ordered_json pre_tokenizer;
  nlohmann::ordered_json decoder;
};
nlohmann::ordered_json bpe_tokenizer_json(const BpeTokenizerParts& parts);

// tokenizer_config.json for a PreTrainedTokenizerFast whose bos, eos and pad are kEndOfText and
// whose special tokens are `special` (the i-th has id i): added_tokens_decoder, the token names,
// model_max_length (the model's context in tokens), no cleanup of spaces on decode.
nlohmann::json fresh_tokenizer_config(const std::vector<std::string>& special,
                                      int64_t model_max_length);

// The number of ids the tokenizer.json document uses: the largest id of its model vocabulary
// and added tokens, plus one (the model's vocab_size). `file` names it in errors.
int64_t tokenizer_vocab_size(const nlohmann::json& tokenizer, const std::string& file);

// Writes folder/tokenizer.json and folder/tokenizer_config.json (each atomically, indented by 2).
void write_tokenizer_files(const std::filesystem::path& folder, const TokenizerFiles& files);

}  // namespace retune::pretrain
