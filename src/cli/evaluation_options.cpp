#include "cli/evaluation_options.h"

#include "core/error.h"

namespace retune::cli {

void add_evaluation_options(CLI::App* command, EvaluationFlags& flags) {
  command
      ->add_option("--format", flags.format,
                   "auto, text, prompt_completion, alpaca or chat (default auto)")
      ->type_name("NAME");
  command
      ->add_option("--chat-template", flags.chat_template,
                   "chatml or llama3 instead of the tokenizer's template, for chat data")
      ->type_name("NAME");
  command->add_flag("--train-on-all", flags.train_on_all,
                    "score every token, not only completions and assistant turns");
  command
      ->add_option("--seq-len", flags.seq_len,
                   "tokens per row; longer examples are cut (default 1024)")
      ->type_name("N");
  command->add_option("--batch-size", flags.batch_size, "rows per forward (default 4)")
      ->type_name("N");
  command->add_flag("--no-exact-match", flags.no_exact_match,
                    "skip the greedy completions of prompt/completion data");
  command
      ->add_option("--normalize", flags.normalize,
                   "how answers are compared: none, strip, lowercase or strip,lowercase "
                   "(default strip)")
      ->type_name("SPEC");
  command
      ->add_option("--max-new-tokens", flags.max_new_tokens,
                   "the most tokens per greedy completion (default: the reference's token "
                   "count + 16)")
      ->type_name("N");
}

eval::FileEvaluationOptions evaluation_options(const EvaluationFlags& flags) {
  RETUNE_CHECK(flags.seq_len >= 2, "--seq-len must be at least 2, got {}", flags.seq_len);
  RETUNE_CHECK(flags.batch_size >= 1, "--batch-size must be at least 1, got {}", flags.batch_size);
  RETUNE_CHECK(flags.max_new_tokens >= 0, "--max-new-tokens must be >= 0, got {}",
               flags.max_new_tokens);
  return {.format = parse_data_format(flags.format),
          .chat_template = flags.chat_template,
          .train_on_all = flags.train_on_all,
          .seq_len = flags.seq_len,
          .batch_size = flags.batch_size,
          .exact_match = !flags.no_exact_match,
          .normalizer = eval::parse_answer_normalizer(flags.normalize),
          .max_new_tokens = flags.max_new_tokens};
}

}  // namespace retune::cli
