#include "pretrain/tokenizer_files.h"

#include <algorithm>

#include "core/error.h"
#include "io/atomic_file.h"

namespace retune::pretrain {

nlohmann::ordered_json bpe_tokenizer_json(const BpeTokenizerParts& parts) {
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (size_t id = 0; id < parts.special_count; ++id) {
    added.push_back({{"id", id},
                     {"content", parts.tokens[id]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (size_t id = 0; id < parts.tokens.size(); ++id) vocab[parts.tokens[id]] = id;
  nlohmann::ordered_json merges = nlohmann::ordered_json::array();
  for (const auto& [left, right] : parts.merges) merges.push_back({left, right});
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer", parts.pre_tokenizer},
          {"post_processor", nullptr},
          {"decoder", parts.decoder},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", parts.unk_token},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", false},
            {"vocab", vocab},
            {"merges", merges}}}};
}

nlohmann::json fresh_tokenizer_config(const std::vector<std::string>& special,
                                      int64_t model_max_length) {
  nlohmann::json decoder = nlohmann::json::object();
  for (size_t id = 0; id < special.size(); ++id) {
    decoder[std::to_string(id)] = {{"content", special[id]}, {"lstrip", false},
                                   {"normalized", false},    {"rstrip", false},
                                   {"single_word", false},   {"special", true}};
  }
  return {{"added_tokens_decoder", decoder},
          {"bos_token", kEndOfText},
          {"clean_up_tokenization_spaces", false},
          {"eos_token", kEndOfText},
          {"model_max_length", model_max_length},
          {"pad_token", kEndOfText},
          {"tokenizer_class", "PreTrainedTokenizerFast"}};
}

int64_t tokenizer_vocab_size(const nlohmann::json& tokenizer, const std::string& file) {
  int64_t largest = -1;
  try {
    for (const auto& [token, id] : tokenizer.at("model").at("vocab").items()) {
      largest = std::max(largest, id.get<int64_t>());
    }
    for (const auto& added : tokenizer.value("added_tokens", nlohmann::json::array())) {
      largest = std::max(largest, added.at("id").get<int64_t>());
    }
  } catch (const nlohmann::json::exception& error) {
    fail("{}: unexpected content: {}", file, error.what());
  }
  RETUNE_CHECK(largest >= 0, "{}: the tokenizer has no tokens", file);
  return largest + 1;
}

void write_tokenizer_files(const std::filesystem::path& folder, const TokenizerFiles& files) {
  write_file_atomically(folder / "tokenizer.json", files.tokenizer.dump(2) + "\n");
  write_file_atomically(folder / "tokenizer_config.json", files.config.dump(2) + "\n");
}

}  // namespace retune::pretrain
