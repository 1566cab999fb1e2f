#include "pretrain/bpe_tokenizer.h"

#include "core/error.h"
#include "pretrain/bpe_trainer.h"

namespace retune::pretrain {

TokenizerFiles make_byte_level_bpe_tokenizer(const std::vector<std::string>& texts,
                                             int64_t vocab_size, int64_t model_max_length) {
  RETUNE_CHECK(vocab_size >= kByteLevelMinVocab,
               "vocab size {} is smaller than the byte alphabet: byte-level BPE needs at least {} "
               "({} and the 256 bytes)",
               vocab_size, kByteLevelMinVocab, kEndOfText);
  ByteLevelMerges learned =
      train_byte_level_merges(texts, static_cast<size_t>(vocab_size - kByteLevelMinVocab));
  const nlohmann::ordered_json byte_level = {{"type", "ByteLevel"},
                                             {"add_prefix_space", false},
                                             {"trim_offsets", true},
                                             {"use_regex", true}};
  BpeTokenizerParts parts{.tokens = {kEndOfText},
                          .special_count = 1,
                          .merges = std::move(learned.merges),
                          .unk_token = nullptr,
                          .pre_tokenizer = byte_level,
                          .decoder = byte_level};
  parts.tokens.insert(parts.tokens.end(), learned.symbols.begin(), learned.symbols.end());
  return {.tokenizer = bpe_tokenizer_json(parts),
          .config = fresh_tokenizer_config({kEndOfText}, model_max_length)};
}

}  // namespace retune::pretrain
