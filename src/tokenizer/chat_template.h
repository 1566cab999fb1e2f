// Chat templates: the two conversation formats retune renders itself instead of running the
// Jinja templates models ship. ChatML is Qwen2.5-Instruct's template (without tools), with the
// default system message taken from the model's template (Qwen2.5's, SmolLM2's, or none as in
// Qwen3's); Llama 3 is Meta-Llama-3-Instruct's. render_chat produces exactly what transformers'
// apply_chat_template renders with them (checked against tests/fixtures/hf/tokenizers).
//
// Qwen3's template is recognised as ChatML without a default system message: it renders the
// same as long as no assistant message contains "</think>" and the conversation does not end
// with an assistant message (as a prompt for the next answer does not). Beyond that Qwen3's
// differs: it drops the reasoning (up to "</think>") of assistant messages before the last user
// message and keeps it in a "<think>" block in those after it; a final assistant message always
// gets one, empty when it has no reasoning.
//
// A tokenizer folder's template is recognised by its special tokens; anything else is refused
// with an Error asking for `--chat-template chatml|llama3`.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retune {

enum class ChatTemplateKind { chatml, llama3 };

// A conversation format and what it takes from the model's template.
struct ChatTemplate {
  ChatTemplateKind kind;
  // ChatML's system message for a conversation that opens without one; nullopt for none.
  // Always nullopt for Llama 3.
  std::optional<std::string> default_system;

  bool operator==(const ChatTemplate&) const = default;
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" (ChatML also "tool")
  std::string content;
};

// The format of a Jinja chat template's text: ChatML when it uses "<|im_start|>" and
// "<|im_end|>", Llama 3 when it uses "<|start_header_id|>" and "<|eot_id|>"; nullopt for
// neither, or both. ChatML's default system message is the text between
// "<|im_start|>system\n" and "<|im_end|>" within one string literal of the template's
// expressions and statements (escapes undone), as in Qwen2.5's
// '<|im_start|>system\nYou are Qwen, ...<|im_end|>\n'; without such a literal there is none.
std::optional<ChatTemplate> recognise_chat_template(std::string_view jinja);

// The chat template to use with a tokenizer folder. A flag ("chatml" or "llama3", as given to
// --chat-template) wins; "chatml" is plain ChatML, without a default system message.
// Otherwise the folder's template is recognised: chat_template.jinja when present (it
// overrides the config, as in transformers), else tokenizer_config.json's chat_template (a
// string, or a list of {name, template} whose "default" entry is used). Throws an Error for an
// unknown flag value, an unrecognised template, or no template at all.
ChatTemplate chat_template(const std::filesystem::path& tokenizer_folder,
                           std::optional<std::string_view> flag);

// The conversation as the template renders it, ending with the assistant's header when
// add_generation_prompt. Llama 3 puts bos_token before the first message and trims each
// content's surrounding whitespace (Jinja's trim); ChatML ignores bos_token, keeps contents
// as they are, opens with the default system message (if any) when the first message is not
// a system message, and puts tool results in user turns as Qwen does. Throws an Error for a
// role ChatML has no place for (Qwen's template would drop it) and for an empty ChatML
// conversation (Qwen's template fails on it).
std::string render_chat(const ChatTemplate& format, const std::vector<ChatMessage>& messages,
                        bool add_generation_prompt, std::string_view bos_token);

}  // namespace retune
