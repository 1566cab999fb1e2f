// The --model, --tokenizer and --adapter options of the commands that run a model, and the device
// they run it on (use_device).
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/trained_adapter.h"
#include "core/device.h"
#include "model/causal_lm.h"
#include "model/generation_config.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace retune::cli {

struct ModelSource {
  std::string model;                     // --model DIR (required)
  std::optional<std::string> tokenizer;  // --tokenizer DIR
  std::optional<std::string> adapter;    // --adapter DIR: a PEFT adapter folder (LoRA, DoRA,
                                         // IA3, Poly) or a sparse difference
  std::optional<std::string> task;       // --task ID|NAME: a Poly adapter's task

  // The folder of the tokenizer to use: --tokenizer's when given, else the model folder.
  std::filesystem::path tokenizer_folder() const { return tokenizer.value_or(model); }
};

// Adds --model, --tokenizer, --adapter and --task to `command`, filling `source`.
void add_model_options(CLI::App* command, ModelSource& source);

// The model of `source`, with its adapter applied on the fly (unmerged) when one is given, and
// moved into *adapter when that is not null (a sparse difference leaves it null). --task routes
// every row of a Poly adapter to that task; it is refused for any other adapter.
std::unique_ptr<model::CausalLm> load_model(
    const ModelSource& source, std::unique_ptr<adapters::TrainedAdapter>* adapter = nullptr);

// Runs `model`, with `adapter` when not null (load_model's), on `device` from now on (a
// command's --device): a GPU is made current and the weights and the adapter moved there.
// Nothing for the CPU.
void use_device(model::CausalLm& model, adapters::TrainedAdapter* adapter, Device device);

}  // namespace retune::cli
