#include "data/tokenized_example.h"

#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"

namespace retune {
namespace {

void append(TokenizedExample& out, const std::vector<int32_t>& ids, bool trained) {
  out.ids.insert(out.ids.end(), ids.begin(), ids.end());
  out.trained.insert(out.trained.end(), ids.size(), trained);
}

// ids and then the tokenizer's eos, unless it has none or ids already end with it.
std::vector<int32_t> with_eos(std::vector<int32_t> ids, const Tokenizer& tokenizer) {
  std::optional<int32_t> eos = tokenizer.eos_id();
  if (eos && (ids.empty() || ids.back() != *eos)) ids.push_back(*eos);
  return ids;
}

// Where in `rendered` each assistant message's content and end of turn lie: [start, end).
std::vector<std::pair<size_t, size_t>> assistant_spans(const std::vector<ChatMessage>& messages,
                                                       const ChatTemplate& chat,
                                                       std::string_view bos,
                                                       std::string_view rendered,
                                                       const std::string& source) {
  std::vector<std::pair<size_t, size_t>> spans;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].role != "assistant") continue;
    if (i == 0) {
      fail(
          "{}: messages[0] is an assistant message, with nothing before it to render its loss "
          "mask from; open with a system or user message, or train on all tokens",
          source);
    }
    std::vector<ChatMessage> prefix(messages.begin(), messages.begin() + i);
    const std::string before = render_chat(chat, prefix, true, bos);
    prefix.push_back(messages[i]);
    const std::string through = render_chat(chat, prefix, false, bos);
    if (!rendered.starts_with(before) || !rendered.starts_with(through) ||
        before.size() > through.size()) {
      fail(
          "{}: messages[{}]: the chat template does not render the conversation up to this "
          "message as the start of the whole, so its loss mask cannot be found",
          source, i);
    }
    spans.emplace_back(before.size(), through.size());
  }
  return spans;
}

TokenizedExample tokenize_conversation(const Conversation& conversation, const std::string& source,
                                       Tokenizer& tokenizer, const TokenizeOptions& options) {
  if (!options.chat) fail("{}: a conversation needs a chat template", source);
  const std::string bos =
      tokenizer.bos_id() ? tokenizer.decode({*tokenizer.bos_id()}, false) : std::string();
  const std::string rendered = render_chat(*options.chat, conversation.messages, false, bos);
  TokenizedExample out;
  if (options.train_on_all) {
    append(out, tokenizer.encode(rendered, false), true);
    return out;
  }
  auto segment = [&](size_t begin, size_t end) {
    return tokenizer.encode(std::string_view(rendered).substr(begin, end - begin), false);
  };
  size_t done = 0;
  for (const auto& [start, end] :
       assistant_spans(conversation.messages, *options.chat, bos, rendered, source)) {
    append(out, segment(done, start), false);
    append(out, segment(start, end), true);
    done = end;
  }
  append(out, segment(done, rendered.size()), false);
  return out;
}

}  // namespace

TokenizedExample tokenize_example(const Example& example, Tokenizer& tokenizer,
                                  const TokenizeOptions& options) {
  if (const auto* conversation = std::get_if<Conversation>(&example.content)) {
    return tokenize_conversation(*conversation, example.source, tokenizer, options);
  }
  TokenizedExample out;
  if (const auto* text = std::get_if<PlainText>(&example.content)) {
    append(out, with_eos(tokenizer.encode(text->text, true), tokenizer), true);
  } else {
    const auto& pair = std::get<PromptCompletion>(example.content);
    append(out, tokenizer.encode(pair.prompt, true), options.train_on_all);
    append(out, with_eos(tokenizer.encode(pair.completion, false), tokenizer), true);
  }
  return out;
}

std::vector<TokenizedExample> tokenize_examples(const std::vector<Example>& examples,
                                                Tokenizer& tokenizer,
                                                const TokenizeOptions& options) {
  std::vector<TokenizedExample> tokenized;
  tokenized.reserve(examples.size());
  for (const Example& example : examples) {
    tokenized.push_back(tokenize_example(example, tokenizer, options));
  }
  return tokenized;
}

}  // namespace retune
