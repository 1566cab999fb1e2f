// `retune init --arch ARCH --out DIR (--tokenizer char|bpe --corpus FILE... [--vocab-size N] |
// --tokenizer-from DIR) [sizes] [--seed N] [--force]`: makes a base model from scratch, a
// Hugging Face model folder with a tokenizer (a fresh character-level or byte-level BPE one built
// from the corpus, or a copy of an existing tokenizer folder's) and randomly initialised weights
// (pretrain/), ready for `retune train` with method: full. Prints the parameter count.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "pretrain/bpe_tokenizer.h"
#include "pretrain/char_tokenizer.h"
#include "pretrain/corpus_text.h"
#include "pretrain/initial_model_folder.h"
#include "pretrain/initial_weights.h"

namespace retune::cli {

namespace {

struct InitOptions {
  std::string arch;
  std::string out;
  std::optional<std::string> tokenizer;
  std::vector<std::string> corpus;
  std::optional<int64_t> vocab_size;
  std::optional<std::string> tokenizer_from;
  pretrain::ModelSpec spec;
  std::optional<int64_t> kv_heads;
  uint64_t seed = 0;
  bool force = false;
};

constexpr int64_t kDefaultBpeVocab = 512;

// The tokenizer the options ask for, built or copied; the corpus is read here.
pretrain::TokenizerWriter tokenizer_writer(const InitOptions& options) {
  if (options.tokenizer_from) {
    RETUNE_CHECK(!options.tokenizer && options.corpus.empty() && !options.vocab_size,
                 "--tokenizer, --corpus and --vocab-size build a new tokenizer; --tokenizer-from "
                 "copies one");
    return pretrain::copy_tokenizer_from(*options.tokenizer_from);
  }
  RETUNE_CHECK(options.tokenizer.has_value(), "give --tokenizer char|bpe or --tokenizer-from DIR");
  const std::string& kind = *options.tokenizer;
  RETUNE_CHECK(kind == "char" || kind == "bpe", "unknown --tokenizer \"{}\" (expected char or bpe)",
               kind);
  RETUNE_CHECK(!options.corpus.empty(), "--tokenizer {} needs --corpus FILE", kind);
  RETUNE_CHECK(
      kind == "bpe" || !options.vocab_size,
      "--vocab-size is for --tokenizer bpe (a char tokenizer has one token per character)");
  const std::vector<std::filesystem::path> files(options.corpus.begin(), options.corpus.end());
  const std::vector<std::string> texts = pretrain::read_corpus_texts(files);
  const int64_t context = options.spec.max_positions;
  const auto files_made = kind == "char"
                              ? pretrain::make_char_tokenizer(texts, context)
                              : pretrain::make_byte_level_bpe_tokenizer(
                                    texts, options.vocab_size.value_or(kDefaultBpeVocab), context);
  return [files_made](const std::filesystem::path& folder) {
    pretrain::write_tokenizer_files(folder, files_made);
  };
}

int run_init(InitOptions options) {
  options.spec.architecture = pretrain::parse_architecture_option(options.arch);
  options.spec.kv_heads = options.kv_heads.value_or(options.spec.heads);
  pretrain::ModelSpec checked = options.spec;
  checked.vocab = 1;
  pretrain::validate_model_spec(checked);
  const std::filesystem::path out = options.out;
  RETUNE_CHECK(options.force || !std::filesystem::exists(out) ||
                   (std::filesystem::is_directory(out) && std::filesystem::is_empty(out)),
               "{}: already exists and is not an empty folder (--force replaces it)", out.string());
  const pretrain::TokenizerWriter write_tokenizer = tokenizer_writer(options);
  const pretrain::ModelSpec spec =
      pretrain::write_initial_model_folder(out, options.spec, options.seed, write_tokenizer);
  fmt::print("{}: {} with {} parameters (vocab {}, hidden {}, layers {}, seed {})\n", out.string(),
             options.arch, pretrain::parameter_count(spec), spec.vocab, spec.hidden, spec.layers,
             options.seed);
  return 0;
}

}  // namespace

Command add_init_command(CLI::App& app) {
  auto options = std::make_shared<InitOptions>();
  pretrain::ModelSpec& spec = options->spec;
  CLI::App* command = app.add_subcommand(
      "init", "make a base model from scratch: a fresh tokenizer and random weights");
  command->add_option("--arch", options->arch, "llama, qwen2, qwen3 or gpt2")
      ->type_name("ARCH")
      ->required();
  command->add_option("--out", options->out, "the model folder to write")
      ->type_name("DIR")
      ->required();
  command
      ->add_option("--tokenizer", options->tokenizer,
                   "char (one token per character of the corpus, <unk> for others) or bpe "
                   "(byte-level BPE trained on the corpus, GPT-2 style)")
      ->type_name("KIND");
  command
      ->add_option("--corpus", options->corpus,
                   "a file to build the tokenizer from (.txt or JSONL, as retune train reads; "
                   "repeatable)")
      ->type_name("FILE");
  command
      ->add_option("--vocab-size", options->vocab_size,
                   "bpe: the most tokens, at least 257 (default 512)")
      ->type_name("N");
  command
      ->add_option("--tokenizer-from", options->tokenizer_from,
                   "copy this folder's tokenizer (tokenizer.json, tokenizer_config.json with an "
                   "eos_token) instead of building one")
      ->type_name("DIR");
  command->add_option("--hidden", spec.hidden, "hidden size (default 64)")->type_name("N");
  command->add_option("--intermediate", spec.intermediate, "MLP width (default 256)")
      ->type_name("N");
  command->add_option("--layers", spec.layers, "decoder layers (default 2)")->type_name("N");
  command->add_option("--heads", spec.heads, "attention heads, dividing --hidden (default 4)")
      ->type_name("N");
  command
      ->add_option("--kv-heads", options->kv_heads,
                   "key/value heads, dividing --heads (default: --heads; gpt2: must equal it)")
      ->type_name("N");
  command
      ->add_option("--max-positions", spec.max_positions,
                   "the context in tokens: max_position_embeddings (default 256)")
      ->type_name("N");
  command->add_flag("--tie,!--no-tie", spec.tie_word_embeddings,
                    "share the embedding table with the output head (default: tied)");
  command->add_option("--rope-theta", spec.rope_theta, "RoPE base, Llama family (default 10000)")
      ->type_name("X");
  command->add_option("--seed", options->seed, "seed of the weights (default 0)")->type_name("N");
  command->add_flag("--force", options->force, "replace an existing --out folder");
  return {command, [options] { return run_init(*options); }};
}

}  // namespace retune::cli
