// The --model and --tokenizer options of the commands that run a model.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

namespace retune::cli {

struct ModelSource {
  std::string model;                     // --model DIR (required)
  std::optional<std::string> tokenizer;  // --tokenizer DIR

  // The folder of the tokenizer to use: --tokenizer's when given, else the model folder.
  std::filesystem::path tokenizer_folder() const { return tokenizer.value_or(model); }
};

// Adds --model and --tokenizer to `command`, filling `source`.
void add_model_options(CLI::App* command, ModelSource& source);

}  // namespace retune::cli
