#include "data/dataset_file.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/error.h"
#include "io/file_contents.h"
#include "tokenizer/utf8.h"

namespace retune {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::pair<std::string_view, DataFormat>, 5> kFormatNames = {{
    {"auto", DataFormat::detect},
    {"text", DataFormat::text},
    {"prompt_completion", DataFormat::prompt_completion},
    {"alpaca", DataFormat::alpaca},
    {"chat", DataFormat::chat},
}};

// The field whose presence decides a line's format under DataFormat::detect, first match wins.
constexpr std::array<std::pair<std::string_view, DataFormat>, 4> kDeciding = {{
    {"messages", DataFormat::chat},
    {"prompt", DataFormat::prompt_completion},
    {"instruction", DataFormat::alpaca},
    {"text", DataFormat::text},
}};

constexpr std::array<std::string_view, 4> kRoles = {"system", "user", "assistant", "tool"};

constexpr std::string_view kAlpacaWithInput =
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{}\n\n### Input:\n{}\n\n### Response:";
constexpr std::string_view kAlpacaWithoutInput =
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{}\n\n### Response:";

std::string_view format_name(DataFormat format) {
  for (const auto& [name, value] : kFormatNames) {
    if (value == format) return name;
  }
  fail("unknown DataFormat");
}

// A JSON value as an error message shows it: at most 40 bytes of its text, cut at a character.
std::string shown(const Json& value) {
  constexpr size_t kMax = 40;
  std::string text = value.dump();
  if (text.size() <= kMax) return text;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

// object[key], a string; `field` is how errors name it.
std::string string_field(const Json& object, const std::string& key, std::string_view field,
                         const std::string& source) {
  auto it = object.find(key);
  if (it == object.end()) fail("{}: field {:?} is missing", source, field);
  if (!it->is_string()) fail("{}: field {:?} must be a string, got {}", source, field, shown(*it));
  return it->get<std::string>();
}

std::string string_field(const Json& object, const std::string& key, const std::string& source) {
  return string_field(object, key, key, source);
}

Conversation conversation(const Json& line, const std::string& source) {
  auto it = line.find("messages");
  if (it == line.end()) fail("{}: field \"messages\" is missing", source);
  if (!it->is_array() || it->empty()) {
    fail("{}: field \"messages\" must be a non-empty list of {{\"role\", \"content\"}}, got {}",
         source, shown(*it));
  }
  Conversation result;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& message = (*it)[i];
    const std::string field = fmt::format("messages[{}]", i);
    if (!message.is_object()) {
      fail("{}: field {:?} must be a {{\"role\", \"content\"}} object, got {}", source, field,
           shown(message));
    }
    std::string role = string_field(message, "role", field + ".role", source);
    if (std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end()) {
      fail("{}: field {:?} must be one of system, user, assistant, tool, got {:?}", source,
           field + ".role", role);
    }
    result.messages.push_back(
        {std::move(role), string_field(message, "content", field + ".content", source)});
  }
  return result;
}

PromptCompletion alpaca(const Json& line, const std::string& source) {
  std::string instruction = string_field(line, "instruction", source);
  std::string output = string_field(line, "output", source);
  auto input = line.find("input");
  if (input == line.end() || input->is_null() || *input == "") {
    return {fmt::format(kAlpacaWithoutInput, instruction), std::move(output)};
  }
  return {fmt::format(kAlpacaWithInput, instruction, string_field(line, "input", source)),
          std::move(output)};
}

// The parser's reason without its exception id and position ("syntax error while parsing ...").
std::string_view parse_error_reason(const nlohmann::json::parse_error& error) {
  std::string_view what = error.what();
  size_t colon = what.find(": ", what.find("parse error"));
  return colon == std::string_view::npos ? what : what.substr(colon + 2);
}

// Another exception's reason without its id ("[json.exception.out_of_range.406] ").
std::string_view json_error_reason(const nlohmann::json::exception& error) {
  std::string_view what = error.what();
  const size_t end = what.starts_with('[') ? what.find("] ") : std::string_view::npos;
  return end == std::string_view::npos ? what : what.substr(end + 2);
}

// The "task" field (none when absent or null).
std::optional<std::string> task_field(const Json& line, const std::string& source) {
  const auto it = line.find("task");
  if (it == line.end() || it->is_null()) return std::nullopt;
  if (it->is_number_unsigned()) return std::to_string(it->get<uint64_t>());
  if (it->is_string() && !it->get<std::string>().empty()) return it->get<std::string>();
  fail("{}: field \"task\" must be a task id (an integer >= 0) or a task name, got {}", source,
       shown(*it));
}

Example parse_content(const Json& line, DataFormat format, const std::string& source) {
  if (format == DataFormat::detect) {
    auto deciding = std::find_if(kDeciding.begin(), kDeciding.end(),
                                 [&](const auto& entry) { return line.contains(entry.first); });
    if (deciding == kDeciding.end()) {
      fail(
          "{}: no field tells the format: expected \"messages\", \"prompt\" and \"completion\", "
          "\"instruction\" and \"output\" (Alpaca), or \"text\"",
          source);
    }
    format = deciding->second;
  }
  switch (format) {
    case DataFormat::text:
      return {source, PlainText{string_field(line, "text", source)}};
    case DataFormat::prompt_completion:
      return {source, PromptCompletion{string_field(line, "prompt", source),
                                       string_field(line, "completion", source)}};
    case DataFormat::alpaca:
      return {source, alpaca(line, source)};
    case DataFormat::chat:
      return {source, conversation(line, source)};
    case DataFormat::detect:
      break;
  }
  fail("unknown DataFormat");
}

Example parse_line(std::string_view text, DataFormat format, std::string source) {
  Json line;
  try {
    line = Json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    fail("{}: not valid JSON at column {}: {}", source, error.byte, parse_error_reason(error));
  } catch (const nlohmann::json::exception& error) {  // a number past the double range
    fail("{}: not valid JSON: {}", source, json_error_reason(error));
  }
  if (!line.is_object()) fail("{}: expected a JSON object, got {}", source, shown(line));
  Example example = parse_content(line, format, source);
  example.task = task_field(line, source);
  return example;
}

Example text_document(const std::string& file, std::string bytes, DataFormat format) {
  if (format != DataFormat::detect && format != DataFormat::text) {
    fail("{}: a .txt file is one text document, not the {} format", file, format_name(format));
  }
  if (!tokenizer::utf8_valid(bytes)) fail("{}: not valid UTF-8", file);
  if (bytes.find_first_not_of(" \t\r\n") == std::string::npos) {
    fail("{}: no examples (the file has no text)", file);
  }
  return {file, PlainText{std::move(bytes)}};
}

}  // namespace

DataFormat parse_data_format(std::string_view name) {
  for (const auto& [known, format] : kFormatNames) {
    if (known == name) return format;
  }
  fail("data format {:?} is not one of auto, text, prompt_completion, alpaca, chat", name);
}

std::vector<Example> read_examples(const std::filesystem::path& path, DataFormat format) {
  const std::string file = path.string();
  std::string bytes = read_text_file(path);
  if (path.extension() == ".txt") return {text_document(file, std::move(bytes), format)};
  std::vector<Example> examples;
  size_t line_number = 0;
  for (size_t begin = 0; begin < bytes.size();) {
    size_t end = std::min(bytes.find('\n', begin), bytes.size());
    std::string_view line(bytes.data() + begin, end - begin);
    begin = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    examples.push_back(parse_line(line, format, fmt::format("{}:{}", file, line_number)));
  }
  if (examples.empty()) fail("{}: no examples (the file is empty or only blank lines)", file);
  return examples;
}

bool has_conversations(const std::vector<Example>& examples) {
  return std::any_of(examples.begin(), examples.end(), [](const Example& example) {
    return std::holds_alternative<Conversation>(example.content);
  });
}

}  // namespace retune
