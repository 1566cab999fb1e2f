// Chat templates: the two conversation formats retune renders itself instead of running the
// Jinja templates models ship. ChatML is Qwen2.5-Instruct's template (without tools) and Llama 3
// is Meta-Llama-3-Instruct's; render_chat produces exactly what transformers'
// apply_chat_template renders with them (checked against tests/fixtures/hf/tokenizers).
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

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" (ChatML also "tool")
  std::string content;
};

// The kind of a Jinja chat template's text: ChatML when it uses "<|im_start|>" and
// "<|im_end|>", Llama 3 when it uses "<|start_header_id|>" and "<|eot_id|>"; nullopt for
// neither, or both.
std::optional<ChatTemplateKind> recognise_chat_template(std::string_view jinja);

// The chat template to use with a tokenizer folder. A flag ("chatml" or "llama3", as given to
// --chat-template) wins; otherwise the folder's template is recognised: chat_template.jinja
// when present (it overrides the config, as in transformers), else tokenizer_config.json's
// chat_template (a string, or a list of {name, template} whose "default" entry is used).
// Throws an Error for an unknown flag value, an unrecognised template, or no template at all.
ChatTemplateKind chat_template_kind(const std::filesystem::path& tokenizer_folder,
                                    std::optional<std::string_view> flag);

// The conversation as the template renders it, ending with the assistant's header when
// add_generation_prompt. Llama 3 puts bos_token before the first message and trims each
// content's surrounding whitespace (Jinja's trim); ChatML ignores bos_token, keeps contents
// as they are, and opens with Qwen's default system message when the first message is not a
// system message. Throws an Error for a role ChatML has no place for (the template would drop
// it) and for an empty ChatML conversation (the template fails on it).
std::string render_chat(ChatTemplateKind kind, const std::vector<ChatMessage>& messages,
                        bool add_generation_prompt, std::string_view bos_token);

}  // namespace retune
