// Chat templates against the Hugging Face golden fixtures (tests/fixtures/hf/tokenizers, the
// chat examples rendered by transformers' apply_chat_template), recognition of the shipped
// templates and of real ChatML templates' default system messages, the --chat-template flag,
// and the refusals.
#include "tokenizer/chat_template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"
#include "tokenizer/tokenizer.h"

namespace retune {

void PrintTo(const ChatTemplate& format, std::ostream* out) {
  *out << (format.kind == ChatTemplateKind::chatml ? "chatml" : "llama3") << ", default system "
       << (format.default_system ? testing::PrintToString(*format.default_system) : "none");
}

namespace {

constexpr const char* kQwenSystem =
    "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
constexpr const char* kSmolLmSystem =
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

// HuggingFaceTB/SmolLM2-135M-Instruct's tokenizer_config.json chat_template as JSON decodes it
// (the newlines inside its literals are real ones): the string a candle-based crate's test
// asserts after downloading that file from the hub, and the GGUF's tokenizer.chat_template.
// SmolLM2-360M-Instruct ships the same template.
constexpr const char* kSmolLm2Template =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
    "'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|im_start|>assistant\n' }}{% endif %}";

// Qwen/Qwen3-0.6B's chat template as llama.cpp vendors it (models/templates/Qwen-Qwen3-0.6B.jinja,
// written by its scripts/get_chat_template.py Qwen/Qwen3-0.6B).
constexpr const char* kQwen3Template = R"jinja({%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0].role == 'system' %}
        {{- messages[0].content + '\n\n' }}
    {%- endif %}
    {{- "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0].role == 'system' %}
        {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {%- set content = message.content %}
        {%- set reasoning_content = '' %}
        {%- if message.reasoning_content is defined and message.reasoning_content is not none %}
            {%- set reasoning_content = message.reasoning_content %}
        {%- else %}
            {%- if '</think>' in message.content %}
                {%- set content = message.content.split('</think>')[-1].lstrip('\n') %}
                {%- set reasoning_content = message.content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}
            {%- endif %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index %}
            {%- if loop.last or (not loop.last and reasoning_content) %}
                {{- '<|im_start|>' + message.role + '\n<think>\n' + reasoning_content.strip('\n') + '\n</think>\n\n' + content.lstrip('\n') }}
            {%- else %}
                {{- '<|im_start|>' + message.role + '\n' + content }}
            {%- endif %}
        {%- else %}
            {{- '<|im_start|>' + message.role + '\n' + content }}
        {%- endif %}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if (loop.first and content) or (not loop.first) %}
                    {{- '\n' }}
                {%- endif %}
                {%- if tool_call.function %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {{- '<tool_call>\n{"name": "' }}
                {{- tool_call.name }}
                {{- '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\n\n</think>\n\n' }}
    {%- endif %}
{%- endif %})jinja";

std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "tokenizers" / name;
}

nlohmann::json fixture_json(const std::string& name, const std::string& file) {
  return nlohmann::json::parse(read_file(fixture(name) / file));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct ChatFixture {
  std::string name;
  ChatTemplate format;
};

class ChatTemplateFixture : public testing::TestWithParam<ChatFixture> {};

TEST_P(ChatTemplateFixture, RendersAndEncodesAsTransformers) {
  const std::string& name = GetParam().name;
  ChatTemplate format = chat_template(fixture(name), std::nullopt);
  EXPECT_EQ(format, GetParam().format);
  nlohmann::json config = fixture_json(name, "tokenizer_config.json");
  std::string bos_token = config.value("bos_token", nlohmann::json()).is_string()
                              ? config.at("bos_token").get<std::string>()
                              : std::string();
  Tokenizer tokenizer = Tokenizer::load(fixture(name));
  nlohmann::json reference = fixture_json(name, "reference.json");
  ASSERT_EQ(reference.at("chat").size(), 2u);
  for (const auto& chat : reference.at("chat")) {
    std::vector<ChatMessage> messages;
    for (const auto& message : chat.at("messages")) {
      messages.push_back(
          {message.at("role").get<std::string>(), message.at("content").get<std::string>()});
    }
    std::string rendered =
        render_chat(format, messages, chat.at("add_generation_prompt").get<bool>(), bos_token);
    EXPECT_EQ(rendered, chat.at("rendered").get<std::string>());
    // apply_chat_template encodes the rendered text without adding special tokens.
    EXPECT_EQ(tokenizer.encode(rendered, false), chat.at("ids").get<std::vector<int32_t>>());
  }
}

INSTANTIATE_TEST_SUITE_P(
    ChatTemplateHf, ChatTemplateFixture,
    testing::Values(ChatFixture{"bytelevel_llama3", {ChatTemplateKind::llama3, std::nullopt}},
                    ChatFixture{"bytelevel_qwen2", {ChatTemplateKind::chatml, kQwenSystem}}),
    [](const testing::TestParamInfo<ChatFixture>& param) { return param.param.name; });

TEST(ChatTemplate, RecognisesTheShippedTemplates) {
  auto shipped = [](const std::string& name) {
    return fixture_json(name, "tokenizer_config.json").at("chat_template").get<std::string>();
  };
  EXPECT_EQ(recognise_chat_template(shipped("bytelevel_llama3")),
            (ChatTemplate{ChatTemplateKind::llama3, std::nullopt}));
  // Qwen2.5-Instruct's template, whose tool branch has the default system message in a literal
  // of its own, without "<|im_start|>system\n".
  EXPECT_EQ(recognise_chat_template(shipped("bytelevel_qwen2")),
            (ChatTemplate{ChatTemplateKind::chatml, kQwenSystem}));
  EXPECT_EQ(recognise_chat_template("{% for m in messages %}{{ m.content }}{% endfor %}"),
            std::nullopt);
}

// Expected renderings read off the templates (and rendered with jinja2 as transformers sets it
// up: trim_blocks, lstrip_blocks).
TEST(ChatTemplate, SmolLm2OpensWithItsOwnSystemMessage) {
  std::optional<ChatTemplate> format = recognise_chat_template(kSmolLm2Template);
  ASSERT_EQ(format, (ChatTemplate{ChatTemplateKind::chatml, kSmolLmSystem}));
  EXPECT_EQ(render_chat(*format, {{"user", "Hi"}}, true, ""),
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
            "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render_chat(*format, {{"system", "Be brief."}, {"user", "Hi"}}, true, ""),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, Qwen3HasNoDefaultSystemMessage) {
  std::optional<ChatTemplate> format = recognise_chat_template(kQwen3Template);
  ASSERT_EQ(format, (ChatTemplate{ChatTemplateKind::chatml, std::nullopt}));
  // Qwen3's template renders these the same; it would differ for an assistant message with
  // "</think>", or a conversation ending with an assistant message ("<think>\n\n</think>\n\n"
  // before its content).
  EXPECT_EQ(
      render_chat(*format, {{"user", "Hi"}, {"assistant", "Hello!"}, {"user", "Bye"}}, true, ""),
      "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
      "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render_chat(*format, {{"system", "Be brief."}, {"user", "Hi"}}, true, ""),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, TakesTheDefaultSystemMessageFromOneLiteral) {
  auto default_system = [](const std::string& jinja) {
    return recognise_chat_template(jinja).value().default_system;
  };
  EXPECT_EQ(default_system(R"({{- '<|im_start|>system\nIt\'s \"x\" \\ y\tz<|im_end|>\n' }})"),
            "It's \"x\" \\ y\tz");
  EXPECT_EQ(default_system(R"({{ "<|im_start|>system\nSay \"hi\"\q<|im_end|>" }})"),
            "Say \"hi\"\\q");
  EXPECT_EQ(default_system("{{ '<|im_start|>system\n<|im_end|>\n' }}"), "");
  // The literal ends before "<|im_end|>": no default.
  EXPECT_EQ(
      default_system(R"({{ '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }})"),
      std::nullopt);
  // Text outside {{ }} and {% %} is no literal, quotes or not.
  EXPECT_EQ(default_system("It's <|im_start|>system\nHi<|im_end|>{% if x %}{{ 'y' }}{% endif %}"),
            std::nullopt);
  EXPECT_EQ(default_system("{# it's #}{{ '<|im_start|>' }}it's{% if \"'\" %}"
                           "{{ '<|im_start|>system\\nA<|im_end|>' }}{% endif %}"),
            "A");
}

TEST(ChatTemplate, FlagWins) {
  ChatTemplate plain_chatml{ChatTemplateKind::chatml, std::nullopt};
  EXPECT_EQ(chat_template(fixture("bytelevel_qwen2"), "llama3"),
            (ChatTemplate{ChatTemplateKind::llama3, std::nullopt}));
  EXPECT_EQ(chat_template(fixture("bytelevel_llama3"), "chatml"), plain_chatml);
  // A flag's ChatML has no default system message, whatever the folder's template has.
  EXPECT_EQ(chat_template(fixture("bytelevel_qwen2"), "chatml"), plain_chatml);
  TempDir empty;
  EXPECT_EQ(chat_template(empty.path(), "chatml"), plain_chatml);
  EXPECT_EQ(render_chat(plain_chatml, {{"user", "Hi"}}, true, ""),
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, ReadsTheTemplateListAndTheJinjaFile) {
  TempDir dir;
  write_file(dir / "tokenizer_config.json",
             R"({"chat_template": [{"name": "tool_use", "template": "<|im_start|><|im_end|>"},
                                   {"name": "default", "template": "<|start_header_id|><|eot_id|>"}]})");
  EXPECT_EQ(chat_template(dir.path(), std::nullopt).kind, ChatTemplateKind::llama3);
  write_file(dir / "chat_template.jinja", "{{ '<|im_start|>system\\nHi<|im_end|>' }}");
  EXPECT_EQ(chat_template(dir.path(), std::nullopt),
            (ChatTemplate{ChatTemplateKind::chatml, "Hi"}));
}

TEST(ChatTemplate, RefusesAnUnknownTemplate) {
  TempDir dir;
  write_file(dir / "tokenizer_config.json", R"({"chat_template": "{{ messages }}"})");
  std::string error = error_of([&] { chat_template(dir.path(), std::nullopt); });
  EXPECT_TRUE(contains(error, (dir / "tokenizer_config.json").string() +
                                  ": the chat template is neither ChatML nor Llama 3; "
                                  "choose one with --chat-template chatml|llama3"))
      << error;
}

TEST(ChatTemplate, RefusesAMissingTemplate) {
  TempDir dir;
  write_file(dir / "tokenizer_config.json", R"({"bos_token": null})");
  std::string error = error_of([&] { chat_template(dir.path(), std::nullopt); });
  EXPECT_TRUE(contains(error, dir.path().string() + ": no chat template")) << error;
  EXPECT_TRUE(contains(error, "choose one with --chat-template chatml|llama3")) << error;
}

TEST(ChatTemplate, RefusesABadFlag) {
  std::string error = error_of([&] { chat_template(fixture("bytelevel_qwen2"), "vicuna"); });
  EXPECT_EQ(error,
            "--chat-template \"vicuna\" is not a chat template; the choices are: chatml, llama3");
}

TEST(ChatTemplate, ChatMlAddsTheDefaultSystemMessageAndGroupsToolResults) {
  ChatTemplate qwen{ChatTemplateKind::chatml, kQwenSystem};
  std::vector<ChatMessage> messages = {
      {"user", "hi"}, {"tool", "1"}, {"tool", "2"}, {"assistant", "ok"}};
  EXPECT_EQ(render_chat(qwen, messages, true, "<s>"),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
            "assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>user\n"
            "<tool_response>\n1\n</tool_response>\n<tool_response>\n2\n</tool_response>"
            "<|im_end|>\n<|im_start|>assistant\nok<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render_chat({ChatTemplateKind::chatml, std::nullopt}, {{"tool", "1"}}, false, ""),
            "<|im_start|>user\n<tool_response>\n1\n</tool_response><|im_end|>\n");
  EXPECT_EQ(error_of([&] {
              render_chat(qwen, {{"narrator", "x"}}, false, "");
            }),
            "ChatML has no role \"narrator\" (system, user, assistant, tool)");
  EXPECT_EQ(error_of([&] { render_chat(qwen, {}, true, ""); }),
            "a ChatML conversation needs at least one message");
}

TEST(ChatTemplate, Llama3TrimsUnicodeWhitespace) {
  ChatTemplate llama3{ChatTemplateKind::llama3, std::nullopt};
  EXPECT_EQ(render_chat(llama3, {{"user", "\u3000 a b\n\u00a0"}}, false, "<s>"),
            "<s><|start_header_id|>user<|end_header_id|>\n\na b<|eot_id|>");
  EXPECT_EQ(render_chat(llama3, {{"user", " \t"}}, false, ""),
            "<|start_header_id|>user<|end_header_id|>\n\n<|eot_id|>");
}

}  // namespace
}  // namespace retune
