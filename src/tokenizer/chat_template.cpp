#include "tokenizer/chat_template.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/error.h"
#include "io/file_contents.h"
#include "tokenizer/utf8.h"

namespace retune {
namespace {

constexpr std::string_view kChoose = "choose one with --chat-template chatml|llama3";

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
    return std::pair(read_text_file(jinja_path), jinja_path.string());
  }
  std::filesystem::path config_path = folder / "tokenizer_config.json";
  if (!std::filesystem::exists(config_path)) return std::nullopt;
  std::string file = config_path.string();
  const nlohmann::json config = read_json_file(config_path);
  auto it = config.find("chat_template");
  if (it == config.end() || it->is_null()) return std::nullopt;
  try {
    return std::pair(config_template(*it, file), file);
  } catch (const nlohmann::json::exception& error) {
    fail("{}: unexpected chat_template: {}", file, error.what());
  }
}

// The string literals in a Jinja template's expressions and statements ({{ }} and {% %}, not
// the text between them), with the escapes \n, \t, \r, \', \" and \\ undone.
std::vector<std::string> jinja_string_literals(std::string_view jinja) {
  constexpr std::string_view kEscapes = "ntr'\"\\";
  constexpr std::string_view kEscaped = "\n\t\r'\"\\";
  std::vector<std::string> literals;
  bool in_tag = false;
  for (size_t pos = 0; pos < jinja.size(); ++pos) {
    std::string_view two = jinja.substr(pos, 2);
    if (!in_tag) {
      in_tag = two == "{{" || two == "{%";
      if (in_tag) ++pos;
    } else if (two == "}}" || two == "%}") {
      in_tag = false;
      ++pos;
    } else if (jinja[pos] == '\'' || jinja[pos] == '"') {
      char quote = jinja[pos];
      std::string& literal = literals.emplace_back();
      for (++pos; pos < jinja.size() && jinja[pos] != quote; ++pos) {
        if (jinja[pos] == '\\' && pos + 1 < jinja.size()) {
          size_t escape = kEscapes.find(jinja[++pos]);
          if (escape != std::string_view::npos) {
            literal += kEscaped[escape];
            continue;
          }
          literal += '\\';  // an unknown escape keeps its backslash, as in Python
        }
        literal += jinja[pos];
      }
    }
  }
  return literals;
}

// ChatML's default system message in a template: see recognise_chat_template.
std::optional<std::string> chatml_default_system(std::string_view jinja) {
  constexpr std::string_view kOpen = "<|im_start|>system\n";
  for (const std::string& literal : jinja_string_literals(jinja)) {
    size_t open = literal.find(kOpen);
    if (open == std::string::npos) continue;
    size_t begin = open + kOpen.size();
    size_t end = literal.find("<|im_end|>", begin);
    if (end != std::string::npos) return literal.substr(begin, end - begin);
  }
  return std::nullopt;
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

std::string render_chatml(const std::vector<ChatMessage>& messages,
                          const std::optional<std::string>& default_system,
                          bool add_generation_prompt) {
  if (messages.empty()) fail("a ChatML conversation needs at least one message");
  std::string out;
  if (default_system && messages[0].role != "system") {
    out += "<|im_start|>system\n" + *default_system + "<|im_end|>\n";
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& message = messages[i];
    if (message.role == "system" || message.role == "user" || message.role == "assistant") {
      out += "<|im_start|>" + message.role + "\n" + message.content + "<|im_end|>\n";
    } else if (message.role == "tool") {
      // Consecutive tool results share one user turn.
      if (i == 0 || messages[i - 1].role != "tool") out += "<|im_start|>user";
      out += "\n<tool_response>\n" + message.content + "\n</tool_response>";
      if (i + 1 == messages.size() || messages[i + 1].role != "tool") out += "<|im_end|>\n";
    } else {
      fail("ChatML has no role {:?} (system, user, assistant, tool)", message.role);
    }
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

}  // namespace

std::optional<ChatTemplate> recognise_chat_template(std::string_view jinja) {
  auto uses = [&](std::string_view token) { return jinja.find(token) != std::string_view::npos; };
  bool chatml = uses("<|im_start|>") && uses("<|im_end|>");
  bool llama3 = uses("<|start_header_id|>") && uses("<|eot_id|>");
  if (chatml == llama3) return std::nullopt;
  if (llama3) return ChatTemplate{ChatTemplateKind::llama3, std::nullopt};
  return ChatTemplate{ChatTemplateKind::chatml, chatml_default_system(jinja)};
}

ChatTemplate chat_template(const std::filesystem::path& tokenizer_folder,
                           std::optional<std::string_view> flag) {
  if (flag) {
    if (*flag == "chatml") return {ChatTemplateKind::chatml, std::nullopt};
    if (*flag == "llama3") return {ChatTemplateKind::llama3, std::nullopt};
    fail("--chat-template {:?} is not a chat template; the choices are: chatml, llama3", *flag);
  }
  auto found = folder_template(tokenizer_folder);
  if (!found) {
    fail(
        "{}: no chat template (neither chat_template.jinja nor a chat_template in "
        "tokenizer_config.json); {}",
        tokenizer_folder.string(), kChoose);
  }
  auto recognised = recognise_chat_template(found->first);
  if (!recognised)
    fail("{}: the chat template is neither ChatML nor Llama 3; {}", found->second, kChoose);
  return *recognised;
}

std::string render_chat(const ChatTemplate& format, const std::vector<ChatMessage>& messages,
                        bool add_generation_prompt, std::string_view bos_token) {
  switch (format.kind) {
    case ChatTemplateKind::chatml:
      return render_chatml(messages, format.default_system, add_generation_prompt);
    case ChatTemplateKind::llama3:
      return render_llama3(messages, add_generation_prompt, bos_token);
  }
  fail("unknown ChatTemplateKind");
}

}  // namespace retune
