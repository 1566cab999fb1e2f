// `retune extract-lora --base DIR --tuned DIR --rank R --out DIR [--sv-epsilon E]`: a PEFT LoRA
// adapter from the difference of a fine-tuned model and its base by truncated SVD
// (merge/lora_extraction.h), as mergekit-extract-lora makes one; rank_pattern where a module's
// rank is lower than R (--sv-epsilon drops small singular values).
#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/threads_option.h"
#include "merge/lora_extraction.h"

namespace retune::cli {

namespace {

struct ExtractLoraOptions {
  std::string base;
  std::string tuned;
  std::string out;
  merge::LoraExtractionOptions extraction;
  std::optional<int> threads;
};

int run_extract_lora(const ExtractLoraOptions& options) {
  use_threads(options.threads);
  const merge::LoraExtraction result =
      merge::extract_lora(options.base, options.tuned, options.out, options.extraction);
  fmt::print("{}: LoRA of {} modules, rank up to {}, {} modules saved whole\n", options.out,
             result.modules, result.max_rank, result.saved.size());
  return 0;
}

}  // namespace

Command add_extract_lora_command(CLI::App& app) {
  auto options = std::make_shared<ExtractLoraOptions>();
  CLI::App* command = app.add_subcommand(
      "extract-lora", "a PEFT LoRA adapter from a fine-tuned model's difference to its base");
  command->add_option("--base", options->base, "the base model folder")
      ->type_name("DIR")
      ->required();
  command->add_option("--tuned", options->tuned, "the fine-tuned model folder")
      ->type_name("DIR")
      ->required();
  command->add_option("--rank", options->extraction.rank, "the LoRA rank (the largest)")
      ->type_name("R")
      ->required();
  command
      ->add_option("--sv-epsilon", options->extraction.sv_epsilon,
                   "drop singular values at or below it (rank_pattern lists lower ranks)")
      ->type_name("E");
  command->add_option("--out", options->out, "the adapter folder to write (replaced whole)")
      ->type_name("DIR")
      ->required();
  add_threads_option(command, options->threads);
  return {command, [options] { return run_extract_lora(*options); }};
}

}  // namespace retune::cli
