// `retune forward --model DIR (--text S | --file F | --ids 1,2,3) --out FILE.safetensors`:
// runs the model once over one sequence and writes its last layer's logits, as transformers'
// model(input_ids).logits[0] would give them:
//   input_ids  i64 [T]     the tokens (the text encoded with special tokens unless
//                          --no-special, or the ids as given)
//   logits     f32 [T, V]
// The file is written atomically; its __metadata__ names the model folder.
#include <fmt/format.h>

#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/threads_option.h"
#include "core/error.h"
#include "io/file_contents.h"
#include "io/safetensors_writer.h"
#include "model/causal_lm.h"
#include "tokenizer/tokenizer.h"

namespace retune::cli {

namespace {

struct ForwardOptions {
  ModelSource source;
  std::optional<std::string> text;
  std::optional<std::string> file;
  std::optional<std::string> ids;
  bool no_special = false;
  std::string out;
  std::optional<int> threads;
};

// "1,2,3" (spaces around the commas allowed) as ids.
std::vector<int32_t> parse_ids(std::string_view list) {
  std::vector<int32_t> ids;
  while (true) {
    while (list.starts_with(' ')) list.remove_prefix(1);
    int32_t id = 0;
    const auto [end, error] = std::from_chars(list.data(), list.data() + list.size(), id);
    if (error != std::errc() || id < 0) {
      fail("--ids: expected token ids >= 0 separated by commas, got \"{}\"", list);
    }
    ids.push_back(id);
    list.remove_prefix(static_cast<size_t>(end - list.data()));
    while (list.starts_with(' ')) list.remove_prefix(1);
    if (list.empty()) return ids;
    if (!list.starts_with(',')) {
      fail("--ids: expected a comma after token id {}, got \"{}\"", id, list);
    }
    list.remove_prefix(1);
  }
}

int run_forward(const ForwardOptions& options) {
  use_threads(options.threads);
  std::vector<int32_t> ids;
  if (options.ids) {
    ids = parse_ids(*options.ids);
  } else {
    const std::string text = options.file ? read_text_file(*options.file) : *options.text;
    ids = Tokenizer::load(options.source.tokenizer_folder()).encode(text, !options.no_special);
    RETUNE_CHECK(!ids.empty(), "the text has no tokens");
  }
  const std::unique_ptr<model::CausalLm> model = load_model(options.source);
  const int64_t vocab = model->config().vocab_size;
  for (const int32_t id : ids) {
    RETUNE_CHECK(id < vocab, "token id {} is outside the vocabulary of {} (ids 0..{})", id,
                 options.source.model, vocab - 1);
  }
  const auto tokens = static_cast<int64_t>(ids.size());
  const Tensor input = Tensor::from_vector<int32_t>({1, tokens}, DType::i32, ids);
  const Tensor logits = model->forward(input).reshape({tokens, vocab});
  write_safetensors(options.out,
                    {{"input_ids", input.reshape({tokens}).to(DType::i64)}, {"logits", logits}},
                    {{"format", "pt"}, {"model", options.source.model}});
  fmt::print("{}: input_ids i64[{}], logits f32[{}, {}]\n", options.out, tokens, tokens, vocab);
  return 0;
}

}  // namespace

Command add_forward_command(CLI::App& app) {
  auto options = std::make_shared<ForwardOptions>();
  CLI::App* command = app.add_subcommand(
      "forward", "run a model over one sequence and write its logits to a safetensors file");
  add_model_options(command, options->source);
  CLI::Option_group* input = command->add_option_group("input");
  input->add_option("--text", options->text, "the text to encode");
  input->add_option("--file", options->file, "a file whose contents to encode (UTF-8)")
      ->type_name("FILE");
  input->add_option("--ids", options->ids, "token ids, comma-separated (no tokenizer needed)")
      ->type_name("1,2,3");
  input->require_option(1);
  command->add_flag("--no-special", options->no_special,
                    "do not add special tokens when encoding the text");
  command
      ->add_option("--out", options->out,
                   "the safetensors file to write: input_ids i64[T], logits f32[T, V]")
      ->type_name("FILE")
      ->required();
  add_threads_option(command, options->threads);
  return {command, [options] { return run_forward(*options); }};
}

}  // namespace retune::cli
