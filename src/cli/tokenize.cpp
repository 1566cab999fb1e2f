// `retune tokenize (--model DIR | --tokenizer DIR) (--text S | --file F) [--no-special]`:
// encodes a text with the tokenizer of a model folder or a tokenizer folder (the same files:
// tokenizer.json, tokenizer_config.json) and prints its ids as a JSON array on one line. The
// post-processor's special tokens are added unless --no-special.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "io/file_contents.h"
#include "tokenizer/tokenizer.h"

namespace retune::cli {

namespace {

struct TokenizeOptions {
  std::string folder;  // from --model or --tokenizer
  std::string text;
  std::optional<std::string> file;
  bool no_special = false;
};

int run_tokenize(const TokenizeOptions& options) {
  const std::string text = options.file ? read_text_file(*options.file) : options.text;
  Tokenizer tokenizer = Tokenizer::load(options.folder);
  fmt::print("{}\n", nlohmann::json(tokenizer.encode(text, !options.no_special)).dump());
  return 0;
}

}  // namespace

Command add_tokenize_command(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* command =
      app.add_subcommand("tokenize", "print the token ids of a text as a JSON array");
  CLI::Option_group* source = command->add_option_group("tokenizer source");
  source->add_option("--model", options->folder, "a model folder with tokenizer.json")
      ->type_name("DIR");
  source->add_option("--tokenizer", options->folder, "a tokenizer folder (tokenizer.json)")
      ->type_name("DIR");
  source->require_option(1);
  CLI::Option_group* input = command->add_option_group("input");
  input->add_option("--text", options->text, "the text to encode");
  input->add_option("--file", options->file, "a file whose contents to encode (UTF-8)")
      ->type_name("FILE");
  input->require_option(1);
  command->add_flag("--no-special", options->no_special, "do not add special tokens");
  return {command, [options] { return run_tokenize(*options); }};
}

}  // namespace retune::cli
