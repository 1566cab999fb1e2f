// The --model, --tokenizer and --adapter options of the commands that run a model.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/causal_lm.h"
#include "model/generation_config.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace retune::cli {

struct ModelSource {
  std::string model;                     // --model DIR (required)
  std::optional<std::string> tokenizer;  // --tokenizer DIR
  std::optional<std::string> adapter;    // --adapter DIR: a PEFT adapter folder (LoRA, DoRA,
                                         // IA3) or a sparse difference

  // The folder of the tokenizer to use: --tokenizer's when given, else the model folder.
  std::filesystem::path tokenizer_folder() const { return tokenizer.value_or(model); }
};

// Adds --model, --tokenizer and --adapter to `command`, filling `source`.
void add_model_options(CLI::App* command, ModelSource& source);

// The model of `source`, with its adapter applied on the fly (unmerged) when one is given.
std::unique_ptr<model::CausalLm> load_model(const ModelSource& source);

}  // namespace retune::cli
