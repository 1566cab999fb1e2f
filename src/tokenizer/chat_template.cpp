#include "tokenizer/chat_template.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace retune {
namespace {

constexpr std::string_view kChoose = "choose one with --chat-template chatml|llama3";

// Qwen2.5's ChatML template opens with this system message when the conversation has none.
constexpr std::string_view kQwenDefaultSystem =
    "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open the file", path.string());
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Whether Python's str.isspace holds for cp (what Jinja's trim strips).
bool is_python_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// text without leading and trailing whitespace, as Jinja's trim filter (Python's str.strip).
std::string_view trim(std::string_view text) {
  size_t begin = text.size();
  size_t end = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t length = tokenizer::utf8_sequence_length(text, pos);
    bool space = length > 0 && is_python_space(tokenizer::utf8_decode(text, pos, length));
    if (length == 0) length = 1;
    if (!space) {
      begin = std::min(begin, pos);
      end = pos + length;
    }
    pos += length;
  }
  return begin < end ? text.substr(begin, end - begin) : std::string_view();
}

// The template text of a tokenizer_config.json chat_template value.
std::string config_template(const nlohmann::json& value, const std::string& file) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    for (const auto& entry : value) {
      if (entry.is_object() && entry.value("name", "") == "default") {
        return entry.at("template").get<std::string>();
      }
    }
    fail("{}: chat_template has no \"default\" entry; {}", file, kChoose);
  }
  fail("{}: chat_template is neither a string nor a list of {{name, template}}", file);
}

// The folder's chat template text and the file it came from, if it has one.
std::optional<std::pair<std::string, std::string>> folder_template(
    const std::filesystem::path& folder) {
  std::filesystem::path jinja_path = folder / "chat_template.jinja";
  if (std::filesystem::exists(jinja_path)) {
    return std::pair(read_text(jinja_path), jinja_path.string());
  }
  std::filesystem::path config_path = folder / "tokenizer_config.json";
  if (!std::filesystem::exists(config_path)) return std::nullopt;
  std::string file = config_path.string();
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(read_text(config_path));
  } catch (const nlohmann::json::exception& error) {
    fail("{}: malformed JSON: {}", file, error.what());
  }
  auto it = config.find("chat_template");
  if (it == config.end() || it->is_null()) return std::nullopt;
  try {
    return std::pair(config_template(*it, file), file);
  } catch (const nlohmann::json::exception& error) {
    fail("{}: unexpected chat_template: {}", file, error.what());
  }
}

std::string render_llama3(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                          std::string_view bos_token) {
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i == 0) out += bos_token;
    out += "<|start_header_id|>";
    out += messages[i].role;
    out += "<|end_header_id|>\n\n";
    out += trim(messages[i].content);
    out += "<|eot_id|>";
  }
  if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

std::string render_chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  if (messages.empty()) fail("a ChatML conversation needs at least one message");
  std::string out = "<|im_start|>system\n";
  out += messages[0].role == "system" ? std::string_view(messages[0].content) : kQwenDefaultSystem;
  out += "<|im_end|>\n";
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& message = messages[i];
    if (message.role == "user" || message.role == "assistant" ||
        (message.role == "system" && i > 0)) {
      out += "<|im_start|>" + message.role + "\n" + message.content + "<|im_end|>\n";
    } else if (message.role == "tool") {
      // Consecutive tool results share one user turn.
      if (i == 0 || messages[i - 1].role != "tool") out += "<|im_start|>user";
      out += "\n<tool_response>\n" + message.content + "\n</tool_response>";
      if (i + 1 == messages.size() || messages[i + 1].role != "tool") out += "<|im_end|>\n";
    } else if (message.role != "system") {
      fail("ChatML has no role {:?} (system, user, assistant, tool)", message.role);
    }
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

}  // namespace

std::optional<ChatTemplateKind> recognise_chat_template(std::string_view jinja) {
  auto uses = [&](std::string_view token) { return jinja.find(token) != std::string_view::npos; };
  bool chatml = uses("<|im_start|>") && uses("<|im_end|>");
  bool llama3 = uses("<|start_header_id|>") && uses("<|eot_id|>");
  if (chatml == llama3) return std::nullopt;
  return chatml ? ChatTemplateKind::chatml : ChatTemplateKind::llama3;
}

ChatTemplateKind chat_template_kind(const std::filesystem::path& tokenizer_folder,
                                    std::optional<std::string_view> flag) {
  if (flag) {
    if (*flag == "chatml") return ChatTemplateKind::chatml;
    if (*flag == "llama3") return ChatTemplateKind::llama3;
    fail("--chat-template {:?} is not a chat template; the choices are: chatml, llama3", *flag);
  }
  auto found = folder_template(tokenizer_folder);
  if (!found) {
    fail(
        "{}: no chat template (neither chat_template.jinja nor a chat_template in "
        "tokenizer_config.json); {}",
        tokenizer_folder.string(), kChoose);
  }
  auto kind = recognise_chat_template(found->first);
  if (!kind)
    fail("{}: the chat template is neither ChatML nor Llama 3; {}", found->second, kChoose);
  return *kind;
}

std::string render_chat(ChatTemplateKind kind, const std::vector<ChatMessage>& messages,
                        bool add_generation_prompt, std::string_view bos_token) {
  switch (kind) {
    case ChatTemplateKind::chatml:
      return render_chatml(messages, add_generation_prompt);
    case ChatTemplateKind::llama3:
      return render_llama3(messages, add_generation_prompt, bos_token);
  }
  fail("unknown ChatTemplateKind");
}

}  // namespace retune
