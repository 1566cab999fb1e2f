// The options of the commands that score a model on data files as `retune eval` does (--format,
// --chat-template, --train-on-all, --seq-len, --batch-size, --no-exact-match, --normalize,
// --max-new-tokens), turned into eval/file_evaluation.h's options.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "eval/file_evaluation.h"

namespace retune::cli {

struct EvaluationFlags {
  std::string format = "auto";
  std::optional<std::string> chat_template;
  bool train_on_all = false;
  int64_t seq_len = 1024;
  int64_t batch_size = 4;
  bool no_exact_match = false;
  std::string normalize = "strip";
  int64_t max_new_tokens = 0;
};

// Adds the flags to `command`, filling `flags`.
void add_evaluation_options(CLI::App* command, EvaluationFlags& flags);

// The options the flags give; throws an Error naming the flag for a value out of range or
// unknown (a format, a normaliser).
eval::FileEvaluationOptions evaluation_options(const EvaluationFlags& flags);

}  // namespace retune::cli
