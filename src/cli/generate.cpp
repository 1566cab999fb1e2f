// `retune generate --model DIR (--prompt S | --prompt-file F) [--chat] [sampling flags]`:
// continues a prompt with the model, streaming the new text to stdout as it is generated.
//
// Decoding starts from the model folder's generation_config.json (do_sample, temperature,
// top_k, top_p, min_p, max_new_tokens, eos_token_id), as transformers' generate() does; flags
// override it: --greedy, or a sampling flag (--temperature > 0, --top-k, --top-p, --min-p),
// which turns sampling on; --temperature 0 means greedy. Generation stops at max_new_tokens
// (default 256 when the file sets none), after an end token (generation_config's eos ids, the
// tokenizer's eos_token and, with --chat, the template's end-of-turn token; --ignore-eos keeps
// going), before a --stop string, or at the end of GPT-2's positions.
//
// --device cuda[:N] generates on a GPU (any model, alone or with any adapter).
//
// --chat wraps the prompt as a user message (after --system, when given) in the model's chat
// template and adds the assistant's header, as apply_chat_template(add_generation_prompt=True).
// Special tokens are not printed. --stats prints token counts and speeds to stderr.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/threads_option.h"
#include "core/device.h"
#include "core/error.h"
#include "eval/exact_match.h"
#include "io/file_contents.h"
#include "model/causal_lm.h"
#include "model/generation_config.h"
#include "model/generator.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/stream_decoder.h"

namespace retune::cli {

namespace {

struct GenerateOptions {
  ModelSource source;
  std::optional<std::string> prompt;
  std::optional<std::string> prompt_file;
  bool chat = false;
  std::optional<std::string> system;
  std::optional<std::string> chat_template;
  std::optional<int64_t> max_new_tokens;
  bool greedy = false;
  std::optional<double> temperature;
  std::optional<int64_t> top_k;
  std::optional<double> top_p;
  std::optional<double> min_p;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  bool stats = false;
  std::optional<int> threads;
  std::string device = "cpu";
};

constexpr int64_t kDefaultMaxNewTokens = 256;

// generation_config.json's sampling settings with the flags applied.
model::SamplingOptions sampling(const GenerateOptions& options,
                                const model::GenerationConfig& config) {
  model::SamplingOptions sampling = model::sampling_options(config);
  const bool sampling_flag = options.temperature || options.top_k || options.top_p || options.min_p;
  if (sampling_flag) sampling.do_sample = true;
  if (options.temperature) sampling.temperature = *options.temperature;
  if (options.top_k) sampling.top_k = *options.top_k;
  if (options.top_p) sampling.top_p = *options.top_p;
  if (options.min_p) sampling.min_p = *options.min_p;
  if (options.greedy || (options.temperature && *options.temperature == 0)) {
    sampling.do_sample = false;
  }
  sampling.seed = options.seed ? *options.seed : std::random_device()();
  return sampling;
}

// The prompt's ids: the text as it is (with the tokenizer's special tokens), or as a chat.
std::vector<int32_t> prompt_ids(const GenerateOptions& options, Tokenizer& tokenizer,
                                const std::optional<ChatTemplate>& chat) {
  const std::string text =
      options.prompt_file ? read_text_file(*options.prompt_file) : *options.prompt;
  if (!chat) return tokenizer.encode(text, true);
  std::vector<ChatMessage> messages;
  if (options.system) messages.push_back({"system", *options.system});
  messages.push_back({"user", text});
  const std::string bos =
      tokenizer.bos_id() ? tokenizer.decode({*tokenizer.bos_id()}, false) : std::string();
  return tokenizer.encode(render_chat(*chat, messages, true, bos), false);
}

std::string stop_reason_name(model::StopReason reason) {
  switch (reason) {
    case model::StopReason::stop_token:
      return "end token";
    case model::StopReason::max_tokens:
      return "max new tokens";
    case model::StopReason::context:
      return "end of the model's positions";
    case model::StopReason::caller:
      return "stop string";
  }
  fail("unknown stop reason {}", static_cast<int>(reason));
}

int run_generate(const GenerateOptions& options) {
  use_threads(options.threads);
  const Device device = parse_device(options.device);
  RETUNE_CHECK(options.chat || (!options.system && !options.chat_template),
               "--system and --chat-template need --chat");
  const std::filesystem::path tokenizer_files = options.source.tokenizer_folder();
  Tokenizer tokenizer = Tokenizer::load(tokenizer_files);
  std::optional<ChatTemplate> chat;
  if (options.chat) chat = chat_template(tokenizer_files, options.chat_template);
  const std::vector<int32_t> prompt = prompt_ids(options, tokenizer, chat);
  RETUNE_CHECK(!prompt.empty(), "the prompt has no tokens");

  const model::GenerationConfig config = model::load_generation_config(options.source.model);
  model::GenerationOptions generation;
  generation.sampling = sampling(options, config);
  generation.max_new_tokens =
      options.max_new_tokens.value_or(config.max_new_tokens.value_or(kDefaultMaxNewTokens));
  if (!options.ignore_eos) {
    generation.stop_ids =
        eval::end_token_ids(config, tokenizer, chat ? std::optional(chat->kind) : std::nullopt);
  }

  std::unique_ptr<adapters::TrainedAdapter> adapter;
  const std::unique_ptr<model::CausalLm> model = load_model(options.source, &adapter);
  use_device(*model, adapter.get(), device);
  StreamDecoder decoder(tokenizer, true, options.stop);
  const auto print = [](const std::string& text) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  };
  const model::GenerationResult result =
      model::generate(*model, prompt, generation, [&](int32_t token) {
        print(decoder.push(token));
        return !decoder.stopped();
      });
  print(decoder.finish() + "\n");
  if (options.stats) {
    const auto decoded = static_cast<double>(result.ids.size()) - 1;
    fmt::print(stderr,
               "retune: {} prompt tokens in {:.3f} s ({:.1f} tokens/s), {} new tokens, the last "
               "{} in {:.3f} s ({:.1f} tokens/s); stopped at the {}; seed {}\n",
               prompt.size(), result.prefill_seconds,
               static_cast<double>(prompt.size()) / result.prefill_seconds, result.ids.size(),
               decoded, result.decode_seconds, decoded > 0 ? decoded / result.decode_seconds : 0.0,
               stop_reason_name(result.reason), generation.sampling.seed);
  }
  return 0;
}

}  // namespace

Command add_generate_command(CLI::App& app) {
  auto options = std::make_shared<GenerateOptions>();
  CLI::App* command = app.add_subcommand(
      "generate", "continue a prompt with a model, streaming the text to stdout");
  add_model_options(command, options->source);
  CLI::Option_group* input = command->add_option_group("prompt");
  input->add_option("--prompt", options->prompt, "the prompt text");
  input->add_option("--prompt-file", options->prompt_file, "a file holding the prompt (UTF-8)")
      ->type_name("FILE");
  input->require_option(1);
  command->add_flag("--chat", options->chat,
                    "send the prompt as a user message through the chat template");
  command->add_option("--system", options->system, "with --chat: a system message first");
  command
      ->add_option("--chat-template", options->chat_template,
                   "with --chat: chatml or llama3 instead of the tokenizer's template")
      ->type_name("NAME");
  command
      ->add_option("--max-new-tokens", options->max_new_tokens,
                   "the most tokens to generate (default: generation_config.json's "
                   "max_new_tokens, else 256)")
      ->type_name("N");
  command->add_flag("--greedy", options->greedy, "always take the most likely token");
  command->add_option("--temperature", options->temperature,
                      "sample with this temperature (0: greedy)");
  command->add_option("--top-k", options->top_k, "sample among the K most likely tokens")
      ->type_name("K");
  command
      ->add_option("--top-p", options->top_p,
                   "sample among the most likely tokens whose probabilities sum to P")
      ->type_name("P");
  command
      ->add_option("--min-p", options->min_p,
                   "sample among tokens at least P times as likely as the most likely")
      ->type_name("P");
  command->add_option("--seed", options->seed, "the sampling seed (default: a random one)")
      ->type_name("N");
  command->add_option("--stop", options->stop, "stop before this text (repeatable)")
      ->type_name("TEXT");
  command->add_flag("--ignore-eos", options->ignore_eos, "do not stop at end tokens");
  command->add_flag("--stats", options->stats, "print token counts and speeds to stderr");
  add_threads_option(command, options->threads);
  command->add_option("--device", options->device, "cpu (default), cuda or cuda:N");
  return {command, [options] { return run_generate(*options); }};
}

}  // namespace retune::cli
