// Chat templates against the Hugging Face golden fixtures (tests/fixtures/hf/tokenizers, the
// chat examples rendered by transformers' apply_chat_template), recognition of the shipped
// templates, the --chat-template flag, and the refusals.
#include "tokenizer/chat_template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"
#include "tokenizer/tokenizer.h"

namespace retune {
namespace {

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
  ChatTemplateKind kind;
};

class ChatTemplateFixture : public testing::TestWithParam<ChatFixture> {};

TEST_P(ChatTemplateFixture, RendersAndEncodesAsTransformers) {
  const std::string& name = GetParam().name;
  EXPECT_EQ(chat_template_kind(fixture(name), std::nullopt), GetParam().kind);
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
    std::string rendered = render_chat(GetParam().kind, messages,
                                       chat.at("add_generation_prompt").get<bool>(), bos_token);
    EXPECT_EQ(rendered, chat.at("rendered").get<std::string>());
    // apply_chat_template encodes the rendered text without adding special tokens.
    EXPECT_EQ(tokenizer.encode(rendered, false), chat.at("ids").get<std::vector<int32_t>>());
  }
}

INSTANTIATE_TEST_SUITE_P(ChatTemplateHf, ChatTemplateFixture,
                         testing::Values(ChatFixture{"bytelevel_llama3", ChatTemplateKind::llama3},
                                         ChatFixture{"bytelevel_qwen2", ChatTemplateKind::chatml}),
                         [](const testing::TestParamInfo<ChatFixture>& param) {
                           return param.param.name;
                         });

TEST(ChatTemplate, RecognisesTheShippedTemplates) {
  auto shipped = [](const std::string& name) {
    return fixture_json(name, "tokenizer_config.json").at("chat_template").get<std::string>();
  };
  EXPECT_EQ(recognise_chat_template(shipped("bytelevel_llama3")), ChatTemplateKind::llama3);
  EXPECT_EQ(recognise_chat_template(shipped("bytelevel_qwen2")), ChatTemplateKind::chatml);
  EXPECT_EQ(recognise_chat_template("{% for m in messages %}{{ m.content }}{% endfor %}"),
            std::nullopt);
}

TEST(ChatTemplate, FlagWins) {
  EXPECT_EQ(chat_template_kind(fixture("bytelevel_qwen2"), "llama3"), ChatTemplateKind::llama3);
  EXPECT_EQ(chat_template_kind(fixture("bytelevel_llama3"), "chatml"), ChatTemplateKind::chatml);
  TempDir empty;
  EXPECT_EQ(chat_template_kind(empty.path(), "chatml"), ChatTemplateKind::chatml);
}

TEST(ChatTemplate, ReadsTheTemplateListAndTheJinjaFile) {
  TempDir dir;
  write_file(dir / "tokenizer_config.json",
             R"({"chat_template": [{"name": "tool_use", "template": "<|im_start|><|im_end|>"},
                                   {"name": "default", "template": "<|start_header_id|><|eot_id|>"}]})");
  EXPECT_EQ(chat_template_kind(dir.path(), std::nullopt), ChatTemplateKind::llama3);
  write_file(dir / "chat_template.jinja", "{{ '<|im_start|>' }}{{ '<|im_end|>' }}");
  EXPECT_EQ(chat_template_kind(dir.path(), std::nullopt), ChatTemplateKind::chatml);
}

TEST(ChatTemplate, RefusesAnUnknownTemplate) {
  TempDir dir;
  write_file(dir / "tokenizer_config.json", R"({"chat_template": "{{ messages }}"})");
  std::string error = error_of([&] { chat_template_kind(dir.path(), std::nullopt); });
  EXPECT_TRUE(contains(error, (dir / "tokenizer_config.json").string() +
                                  ": the chat template is neither ChatML nor Llama 3; "
                                  "choose one with --chat-template chatml|llama3"))
      << error;
}

TEST(ChatTemplate, RefusesAMissingTemplate) {
  TempDir dir;
  write_file(dir / "tokenizer_config.json", R"({"bos_token": null})");
  std::string error = error_of([&] { chat_template_kind(dir.path(), std::nullopt); });
  EXPECT_TRUE(contains(error, dir.path().string() + ": no chat template")) << error;
  EXPECT_TRUE(contains(error, "choose one with --chat-template chatml|llama3")) << error;
}

TEST(ChatTemplate, RefusesABadFlag) {
  std::string error = error_of([&] { chat_template_kind(fixture("bytelevel_qwen2"), "vicuna"); });
  EXPECT_EQ(error,
            "--chat-template \"vicuna\" is not a chat template; the choices are: chatml, llama3");
}

TEST(ChatTemplate, ChatMlAddsQwensSystemMessageAndGroupsToolResults) {
  std::vector<ChatMessage> messages = {
      {"user", "hi"}, {"tool", "1"}, {"tool", "2"}, {"assistant", "ok"}};
  EXPECT_EQ(render_chat(ChatTemplateKind::chatml, messages, true, "<s>"),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
            "assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>user\n"
            "<tool_response>\n1\n</tool_response>\n<tool_response>\n2\n</tool_response>"
            "<|im_end|>\n<|im_start|>assistant\nok<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(error_of([] {
              render_chat(ChatTemplateKind::chatml, {{"narrator", "x"}}, false, "");
            }),
            "ChatML has no role \"narrator\" (system, user, assistant, tool)");
  EXPECT_EQ(error_of([] { render_chat(ChatTemplateKind::chatml, {}, true, ""); }),
            "a ChatML conversation needs at least one message");
}

TEST(ChatTemplate, Llama3TrimsUnicodeWhitespace) {
  EXPECT_EQ(render_chat(ChatTemplateKind::llama3, {{"user", "\u3000 a b\n\u00a0"}}, false, "<s>"),
            "<s><|start_header_id|>user<|end_header_id|>\n\na b<|eot_id|>");
  EXPECT_EQ(render_chat(ChatTemplateKind::llama3, {{"user", " \t"}}, false, ""),
            "<|start_header_id|>user<|end_header_id|>\n\n<|eot_id|>");
}

}  // namespace
}  // namespace retune
