#include "tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/file_contents.h"
#include "tokenizer/utf8.h"

namespace retune {
namespace {

// tokenizer_config.json names a token as a string, as {"content": ...}, or null.
std::optional<std::string> config_token(const nlohmann::json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_object()) return it->at("content").get<std::string>();
  return it->get<std::string>();
}

}  // namespace

Tokenizer::Tokenizer(tokenizer::AddedTokens added, tokenizer::Normalizer normalizer,
                     tokenizer::PreTokenizer pre_tokenizer, tokenizer::Bpe model,
                     tokenizer::PostProcessor post_processor, tokenizer::Decoder decoder)
    : added_(std::move(added)),
      normalizer_(std::move(normalizer)),
      pre_tokenizer_(std::move(pre_tokenizer)),
      model_(std::move(model)),
      post_processor_(std::move(post_processor)),
      decoder_(std::move(decoder)) {}

Tokenizer Tokenizer::load(const std::filesystem::path& folder) {
  std::filesystem::path path = folder / "tokenizer.json";
  std::string file = path.string();
  nlohmann::json json = read_json_file(path);
  std::optional<Tokenizer> loaded;
  try {
    auto normalizer =
        tokenizer::Normalizer::from_json(json.value("normalizer", nlohmann::json()), file);
    auto added = tokenizer::AddedTokens::from_json(json.value("added_tokens", nlohmann::json()),
                                                   !normalizer.empty(), file);
    loaded.emplace(Tokenizer(
        std::move(added), std::move(normalizer),
        tokenizer::PreTokenizer::from_json(json.value("pre_tokenizer", nlohmann::json()), file),
        tokenizer::Bpe::from_json(json.at("model"), file),
        tokenizer::PostProcessor::from_json(json.value("post_processor", nlohmann::json()), file),
        tokenizer::Decoder::from_json(json.value("decoder", nlohmann::json()), file)));
  } catch (const nlohmann::json::exception& error) {
    fail("{}: unexpected content: {}", file, error.what());
  }
  Tokenizer& tokenizer = *loaded;

  std::filesystem::path config_path = folder / "tokenizer_config.json";
  if (std::filesystem::exists(config_path)) {
    std::string config_file = config_path.string();
    nlohmann::json config = read_json_file(config_path);
    try {
      auto resolve = [&](const char* key) -> std::optional<int32_t> {
        auto token = config_token(config, key);
        if (!token) return std::nullopt;
        auto id = tokenizer.token_to_id(*token);
        if (!id) fail("{}: {} {:?} is not a token of {}", config_file, key, *token, file);
        return id;
      };
      tokenizer.bos_id_ = resolve("bos_token");
      tokenizer.eos_id_ = resolve("eos_token");
      if (config.contains("add_bos_token") || config.contains("add_eos_token")) {
        bool add_bos = config.value("add_bos_token", false);
        bool add_eos = config.value("add_eos_token", false);
        if ((add_bos && !tokenizer.bos_id_) || (add_eos && !tokenizer.eos_id_)) {
          fail("{}: add_bos_token / add_eos_token set without the token itself", config_file);
        }
        tokenizer.post_processor_ = tokenizer::PostProcessor::bos_eos(
            add_bos ? tokenizer.bos_id_ : std::nullopt, add_eos ? tokenizer.eos_id_ : std::nullopt);
      }
    } catch (const nlohmann::json::exception& error) {
      fail("{}: unexpected content: {}", config_file, error.what());
    }
  }
  return std::move(*loaded);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) {
  if (!tokenizer::utf8_valid(text)) fail("cannot tokenize text that is not valid UTF-8");
  std::vector<int32_t> ids;
  for (const tokenizer::Segment& segment : added_.split(text)) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
      continue;
    }
    std::string normalized = normalizer_.normalize(segment.text);
    pre_tokenizer_.split(normalized, words_);
    for (const std::string& word : words_) model_.encode_word(word, ids);
  }
  return add_special_tokens ? post_processor_.apply(ids) : ids;
}

bool Tokenizer::is_fallback_byte(int32_t id) const {
  const std::string* token = added_.find(id) ? nullptr : model_.id_to_token(id);
  return token && decoder_.is_fallback_byte(*token);
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (const tokenizer::AddedToken* added = added_.find(id)) {
      if (!(skip_special_tokens && added->special)) tokens.push_back(added->content);
    } else if (const std::string* token = model_.id_to_token(id)) {
      tokens.push_back(*token);
    } else {
      fail("cannot decode token id {}: the tokenizer has no such token", id);
    }
  }
  return decoder_.decode(std::move(tokens));
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto id = added_.id_of(token)) return id;
  return model_.token_to_id(token);
}

}  // namespace retune
