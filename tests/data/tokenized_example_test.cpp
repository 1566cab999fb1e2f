// Loss masks per format on the fixture models' tokenizers: ChatML (qwen2), Llama 3
// (llama_gqa_untied), SentencePiece (llama_tied) and GPT-2. The trained tokens are decoded back
// to text and compared with the completion / assistant turns they should be.
#include "data/tokenized_example.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "support/error_of.h"

namespace retune {
namespace {

std::filesystem::path model_folder(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "models" / name;
}

Example conversation(std::vector<ChatMessage> messages) {
  return {"chat.jsonl:1", Conversation{std::move(messages)}};
}

const std::vector<ChatMessage> kChat = {
    {"system", "Answer briefly."},   {"user", "Hi, who are you?"},
    {"assistant", "A small model."}, {"user", "What is 2+2?"},
    {"tool", "calculator: 4"},       {"assistant", "It is 4.\nAnything else?"},
};

// The decoded text of each run of consecutive trained tokens.
std::vector<std::string> trained_runs(const Tokenizer& tokenizer, const TokenizedExample& example) {
  EXPECT_EQ(example.ids.size(), example.trained.size());
  std::vector<std::string> runs;
  std::vector<int32_t> run;
  for (size_t t = 0; t <= example.ids.size(); ++t) {
    if (t < example.ids.size() && example.trained[t]) {
      run.push_back(example.ids[t]);
    } else if (!run.empty()) {
      runs.push_back(tokenizer.decode(run, false));
      run.clear();
    }
  }
  return runs;
}

// text with a space put before each of the positions (ascending).
std::string with_spaces_before(std::string_view text, const std::vector<size_t>& positions) {
  std::string out;
  size_t done = 0;
  for (const size_t position : positions) {
    out.append(text.substr(done, position - done));
    out.push_back(' ');
    done = position;
  }
  out.append(text.substr(done));
  return out;
}

bool all_trained(const TokenizedExample& example) {
  return std::find(example.trained.begin(), example.trained.end(), false) == example.trained.end();
}

TEST(DataMasks, TextTrainsEveryTokenAndEndsWithEos) {
  Tokenizer sentencepiece = Tokenizer::load(model_folder("llama_tied"));
  TokenizedExample example =
      tokenize_example({"a.txt", PlainText{"The cat sat."}}, sentencepiece, {});
  std::vector<int32_t> expected = sentencepiece.encode("The cat sat.", true);
  ASSERT_EQ(expected.front(), 1);  // <s>
  expected.push_back(2);           // </s>
  EXPECT_EQ(example.ids, expected);
  EXPECT_TRUE(all_trained(example));
  // An eos already there is not doubled.
  EXPECT_EQ(tokenize_example({"a.txt", PlainText{"The cat sat.</s>"}}, sentencepiece, {}).ids,
            expected);

  Tokenizer gpt2 = Tokenizer::load(model_folder("gpt2"));
  example = tokenize_example({"a.txt", PlainText{"The cat sat."}}, gpt2, {});
  expected = gpt2.encode("The cat sat.", true);
  expected.push_back(0);  // <|endoftext|>
  EXPECT_EQ(example.ids, expected);
  EXPECT_TRUE(all_trained(example));
}

TEST(DataMasks, PromptCompletionTrainsTheCompletionAndEos) {
  const Example example = {"pc.jsonl:1", PromptCompletion{"Q: 2+2?\nA:", " 4"}};
  Tokenizer qwen = Tokenizer::load(model_folder("qwen2"));
  TokenizedExample tokenized = tokenize_example(example, qwen, {});
  EXPECT_EQ(trained_runs(qwen, tokenized), std::vector<std::string>{" 4<|im_end|>"});
  std::vector<int32_t> expected = qwen.encode("Q: 2+2?\nA: 4", false);
  expected.push_back(*qwen.eos_id());
  EXPECT_EQ(tokenized.ids, expected);  // the boundary falls where the pre-tokenizer splits

  Tokenizer llama3 = Tokenizer::load(model_folder("llama_gqa_untied"));
  tokenized = tokenize_example(example, llama3, {});
  EXPECT_EQ(tokenized.ids.front(), 1);  // <|begin_of_text|>, from the prompt
  EXPECT_EQ(trained_runs(llama3, tokenized), std::vector<std::string>{" 4<|eot_id|>"});

  // SentencePiece encodes the completion alone: with "▁" before it, as its decoder then drops.
  Tokenizer sentencepiece = Tokenizer::load(model_folder("llama_tied"));
  tokenized =
      tokenize_example({"pc.jsonl:1", PromptCompletion{"Q: 2+2?\nA:", "4"}}, sentencepiece, {});
  EXPECT_EQ(tokenized.ids.front(), 1);
  EXPECT_EQ(trained_runs(sentencepiece, tokenized), std::vector<std::string>{"4</s>"});

  TokenizedExample everything = tokenize_example(example, qwen, {.train_on_all = true});
  EXPECT_EQ(everything.ids, expected);
  EXPECT_TRUE(all_trained(everything));
}

TEST(DataMasks, ChatMlTrainsAssistantTurnsThroughImEnd) {
  Tokenizer tokenizer = Tokenizer::load(model_folder("qwen2"));
  const TokenizeOptions options = {chat_template(model_folder("qwen2"), std::nullopt)};
  ASSERT_TRUE(options.chat->default_system);
  TokenizedExample example = tokenize_example(conversation(kChat), tokenizer, options);
  EXPECT_EQ(trained_runs(tokenizer, example),
            (std::vector<std::string>{"A small model.<|im_end|>\n",
                                      "It is 4.\nAnything else?<|im_end|>\n"}));
  // Segment-wise encoding equals encoding the whole rendered conversation.
  const std::string rendered = render_chat(*options.chat, kChat, false, "");
  EXPECT_EQ(example.ids, tokenizer.encode(rendered, false));

  // Without a system message the default one is rendered, and not trained.
  const std::vector<ChatMessage> short_chat = {{"user", "Hi"}, {"assistant", "Hello!"}};
  example = tokenize_example(conversation(short_chat), tokenizer, options);
  EXPECT_EQ(tokenizer.decode(example.ids, false),
            "<|im_start|>system\n" + *options.chat->default_system +
                "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!"
                "<|im_end|>\n");
  EXPECT_EQ(trained_runs(tokenizer, example), std::vector<std::string>{"Hello!<|im_end|>\n"});
}

TEST(DataMasks, Llama3TrainsAssistantTurnsThroughEotId) {
  Tokenizer tokenizer = Tokenizer::load(model_folder("llama_gqa_untied"));
  const TokenizeOptions options = {chat_template(model_folder("llama_gqa_untied"), std::nullopt)};
  ASSERT_EQ(options.chat->kind, ChatTemplateKind::llama3);
  TokenizedExample example = tokenize_example(conversation(kChat), tokenizer, options);
  EXPECT_EQ(example.ids.front(), 1);  // the template's <|begin_of_text|>, encoded once
  EXPECT_NE(example.ids[1], 1);
  EXPECT_EQ(
      trained_runs(tokenizer, example),
      (std::vector<std::string>{"A small model.<|eot_id|>", "It is 4.\nAnything else?<|eot_id|>"}));
  const std::string rendered = render_chat(*options.chat, kChat, false, "<|begin_of_text|>");
  EXPECT_EQ(example.ids, tokenizer.encode(rendered, false));
}

TEST(DataMasks, SentencePieceSegmentsDifferFromTheWholeAtBoundaries) {
  // llama_tied has no chat template and no ChatML tokens: "<|im_start|>" is plain text to it,
  // and its Prepend normalizer puts "▁" before every segment encoded on its own.
  Tokenizer tokenizer = Tokenizer::load(model_folder("llama_tied"));
  const TokenizeOptions options = {chat_template(model_folder("llama_tied"), "chatml")};
  TokenizedExample example = tokenize_example(conversation(kChat), tokenizer, options);
  EXPECT_EQ(trained_runs(tokenizer, example),
            (std::vector<std::string>{"A small model.<|im_end|>\n",
                                      "It is 4.\nAnything else?<|im_end|>\n"}));
  const std::string rendered = render_chat(*options.chat, kChat, false, "<s>");
  // Decoded, each segment after the first shows its "▁" as a space: before each assistant
  // turn and after the first (the last segment, after the second, is empty).
  const std::string first_turn = "A small model.<|im_end|>\n";
  const size_t first = rendered.find(first_turn);
  const std::string spaced =
      with_spaces_before(rendered, {first, first + first_turn.size(), rendered.find("It is 4.")});
  EXPECT_EQ(tokenizer.decode(example.ids, false), spaced);
  EXPECT_NE(example.ids, tokenizer.encode(rendered, false));
}

TEST(DataMasks, TrainOnAllTrainsTheWholeConversation) {
  Tokenizer tokenizer = Tokenizer::load(model_folder("qwen2"));
  TokenizeOptions options = {chat_template(model_folder("qwen2"), std::nullopt), true};
  TokenizedExample example = tokenize_example(conversation(kChat), tokenizer, options);
  EXPECT_EQ(example.ids, tokenizer.encode(render_chat(*options.chat, kChat, false, ""), false));
  EXPECT_TRUE(all_trained(example));
  // An assistant message that opens the conversation is fine when everything is trained...
  const std::vector<ChatMessage> opening = {{"assistant", "Hello!"}, {"user", "Hi"}};
  EXPECT_TRUE(all_trained(tokenize_example(conversation(opening), tokenizer, options)));
  // ...but has no prefix to find its mask from otherwise.
  options.train_on_all = false;
  EXPECT_EQ(error_of([&] { tokenize_example(conversation(opening), tokenizer, options); }),
            "chat.jsonl:1: messages[0] is an assistant message, with nothing before it to render "
            "its loss mask from; open with a system or user message, or train on all tokens");
}

TEST(DataMasks, AConversationNeedsAChatTemplate) {
  Tokenizer tokenizer = Tokenizer::load(model_folder("gpt2"));
  EXPECT_EQ(error_of([&] { tokenize_example(conversation(kChat), tokenizer, {}); }),
            "chat.jsonl:1: a conversation needs a chat template");
}

TEST(DataMasks, TokenizesExamplesInOrder) {
  Tokenizer tokenizer = Tokenizer::load(model_folder("gpt2"));
  const std::vector<Example> examples = {{"a:1", PlainText{"one"}}, {"a:2", PlainText{"two"}}};
  const std::vector<TokenizedExample> tokenized = tokenize_examples(examples, tokenizer, {});
  ASSERT_EQ(tokenized.size(), 2u);
  EXPECT_EQ(tokenized[1].ids, tokenize_example(examples[1], tokenizer, {}).ids);
}

}  // namespace
}  // namespace retune
