// Reading whole files of model and tokenizer folders (config.json, tokenizer.json, prompts).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace retune {

// The file's bytes; throws retune::Error "<path>: cannot open: <reason>" (also for a folder).
std::string read_text_file(const std::filesystem::path& path);

// The parsed file; throws retune::Error as read_text_file does, or
// "<path>: invalid JSON: <parser's message>".
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace retune
