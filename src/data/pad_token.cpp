#include "data/pad_token.h"

#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "io/file_contents.h"

namespace retune {

int32_t pad_token_id(const std::filesystem::path& tokenizer_folder, const Tokenizer& tokenizer) {
  const std::filesystem::path config_path = tokenizer_folder / "tokenizer_config.json";
  if (std::filesystem::exists(config_path)) {
    const nlohmann::json config = read_json_file(config_path);
    auto it = config.find("pad_token");
    if (it != config.end() && !it->is_null()) {
      // A token is named as a string or as {"content": ...}.
      const nlohmann::json& name = it->is_object() ? it->value("content", nlohmann::json()) : *it;
      if (!name.is_string()) {
        fail("{}: pad_token must be a string or {{\"content\": string}}, got {}",
             config_path.string(), it->dump());
      }
      std::optional<int32_t> id = tokenizer.token_to_id(name.get<std::string>());
      if (!id) {
        fail("{}: pad_token {:?} is not a token of the tokenizer", config_path.string(),
             name.get<std::string>());
      }
      return *id;
    }
  }
  return tokenizer.eos_id().value_or(0);
}

}  // namespace retune
