// Training data files read into examples (text, prompt/completion or a conversation), before
// tokenization.
//
// A `.txt` file is one text document: the whole file (valid UTF-8, not only whitespace). Any
// other file is JSONL: one JSON object per line, one example each; blank lines are skipped and
// fields not named here are ignored. The formats:
//
//   text               {"text": S}                                  plain causal LM
//   prompt_completion  {"prompt": S, "completion": S}
//   alpaca             {"instruction": S, "input": S, "output": S}   "input" optional
//   chat               {"messages": [{"role": R, "content": S}, ...]}
//
// Any format may also carry "task": the example's task for a Poly adapter (adapters/poly_model.h),
// an integer id >= 0 or a task name (a string); null is the same as leaving it out.
//
// S is a string; a conversation has at least one message and R is one of system, user,
// assistant, tool. With DataFormat::detect ("auto") each line's format is that of the first of
// "messages", "prompt", "instruction", "text" the line has (so tatsu-lab/alpaca's lines, which
// also carry a "text", are Alpaca), and that format's fields are then required; an explicit
// format requires its fields on every line.
//
// An Alpaca example becomes a prompt/completion with Stanford Alpaca's prompt (train.py's
// PROMPT_DICT) and "output" as the completion, as it is. With a non-empty "input" the prompt is
//   "Below is an instruction that describes a task, paired with an input that provides further
//   context. Write a response that appropriately completes the request.\n\n### Instruction:\n
//   {instruction}\n\n### Input:\n{input}\n\n### Response:"
// and without one (left out, null or "")
//   "Below is an instruction that describes a task. Write a response that appropriately
//   completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:"
// (each one line, joined by a space where it is broken here, with no newline after "Response:").
//
// Nothing partial: a bad line anywhere fails the whole read with an Error naming file:line and
// the field, e.g. `data.jsonl:7: field "completion" must be a string, got 3`; a file with no
// example fails naming the file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tokenizer/chat_template.h"

namespace retune {

enum class DataFormat { detect, text, prompt_completion, alpaca, chat };

// The --data-format values: "auto", "text", "prompt_completion", "alpaca", "chat"; an Error
// listing them for anything else.
DataFormat parse_data_format(std::string_view name);

struct PlainText {
  std::string text;
};

struct PromptCompletion {
  std::string prompt;
  std::string completion;
};

struct Conversation {
  std::vector<ChatMessage> messages;  // at least one; roles system, user, assistant, tool
};

struct Example {
  std::string source;  // "data.jsonl:7", or a .txt file's path: where errors about it point
  std::variant<PlainText, PromptCompletion, Conversation> content;
  // The "task" field: an id as its decimal digits ("2") or a name; none when absent.
  std::optional<std::string> task = std::nullopt;
};

// The examples of a file, in file order. Throws an Error as described above.
std::vector<Example> read_examples(const std::filesystem::path& path, DataFormat format);

// Whether any example is a conversation (tokenizing it then needs a chat template).
bool has_conversations(const std::vector<Example>& examples);

}  // namespace retune
