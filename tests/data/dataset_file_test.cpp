// Reading training data files: every format, format detection, .txt files, and each refusal
// with its exact message (file:line and the field).
#include "data/dataset_file.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

constexpr const char* kAlpacaWithInput =
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n### Instruction:\n"
    "Add the numbers.\n\n### Input:\n2 3\n\n### Response:";
constexpr const char* kAlpacaWithoutInput =
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\nSay hi.\n\n### Response:";

class DatasetFile : public testing::Test {
 protected:
  // Writes `lines` to dir/name and reads it back.
  std::vector<Example> read(const std::string& lines, DataFormat format = DataFormat::detect,
                            const std::string& name = "data.jsonl") {
    write_file(dir / name, lines);
    return read_examples(dir / name, format);
  }
  // The error reading `lines` gives, with the folder's path taken out.
  std::string error(const std::string& lines, DataFormat format = DataFormat::detect,
                    const std::string& name = "data.jsonl") {
    std::string message = error_of([&] { read(lines, format, name); });
    const std::string folder = dir.path().string() + "/";
    if (message.starts_with(folder)) message.erase(0, folder.size());
    return message;
  }
  std::string source(int line) const {
    return (dir / "data.jsonl").string() + ":" + std::to_string(line);
  }

  TempDir dir;
};

TEST_F(DatasetFile, ReadsEveryFormatDetectingEachLine) {
  const std::vector<Example> examples = read(
      "{\"text\": \"plain\"}\n"
      "\n"
      "{\"prompt\": \"Q?\", \"completion\": \" A.\", \"id\": 7}\r\n"
      "{\"instruction\": \"Add the numbers.\", \"input\": \"2 3\", \"output\": \"5\"}\n"
      "{\"instruction\": \"Say hi.\", \"input\": \"\", \"output\": \"hi\"}\n"
      "{\"instruction\": \"Say hi.\", \"output\": \"hi\"}\n"
      "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", "
      "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}, {\"role\": "
      "\"tool\", \"content\": \"42\"}]}\n   \n");
  ASSERT_EQ(examples.size(), 6u);
  EXPECT_EQ(examples[0].source, source(1));
  EXPECT_EQ(std::get<PlainText>(examples[0].content).text, "plain");
  EXPECT_EQ(examples[1].source, source(3));
  const auto& pair = std::get<PromptCompletion>(examples[1].content);
  EXPECT_EQ(pair.prompt, "Q?");
  EXPECT_EQ(pair.completion, " A.");
  const auto& alpaca = std::get<PromptCompletion>(examples[2].content);
  EXPECT_EQ(alpaca.prompt, kAlpacaWithInput);
  EXPECT_EQ(alpaca.completion, "5");
  for (int i : {3, 4}) {
    EXPECT_EQ(std::get<PromptCompletion>(examples[i].content).prompt, kAlpacaWithoutInput);
    EXPECT_EQ(std::get<PromptCompletion>(examples[i].content).completion, "hi");
  }
  const auto& chat = std::get<Conversation>(examples[5].content);
  ASSERT_EQ(chat.messages.size(), 4u);
  EXPECT_EQ(chat.messages[0].role, "system");
  EXPECT_EQ(chat.messages[2].content, "Hello");
  EXPECT_EQ(chat.messages[3].role, "tool");
  EXPECT_EQ(examples[5].source, source(7));
  EXPECT_TRUE(has_conversations(examples));
  EXPECT_FALSE(has_conversations({examples.begin(), examples.begin() + 5}));
}

TEST_F(DatasetFile, DetectionTakesTheFirstDecidingField) {
  // tatsu-lab/alpaca's lines carry the formatted "text" as well: they are Alpaca.
  auto examples = read("{\"instruction\": \"Say hi.\", \"output\": \"hi\", \"text\": \"x\"}\n");
  EXPECT_EQ(std::get<PromptCompletion>(examples[0].content).prompt, kAlpacaWithoutInput);
  examples = read("{\"text\": \"t\", \"prompt\": \"p\", \"completion\": \"c\"}\n");
  EXPECT_EQ(std::get<PromptCompletion>(examples[0].content).completion, "c");
  EXPECT_EQ(error("{\"prompt\": \"p\"}\n"), "data.jsonl:1: field \"completion\" is missing");
}

TEST_F(DatasetFile, AnExplicitFormatRequiresItsFields) {
  auto examples =
      read("{\"text\": \"t\", \"prompt\": \"p\", \"completion\": \"c\"}\n", DataFormat::text);
  EXPECT_EQ(std::get<PlainText>(examples[0].content).text, "t");
  EXPECT_EQ(error("{\"text\": \"t\"}\n", DataFormat::prompt_completion),
            "data.jsonl:1: field \"prompt\" is missing");
  EXPECT_EQ(error("{\"prompt\": \"p\", \"completion\": \"c\"}\n", DataFormat::chat),
            "data.jsonl:1: field \"messages\" is missing");
  EXPECT_EQ(error("{\"instruction\": \"i\"}\n", DataFormat::alpaca),
            "data.jsonl:1: field \"output\" is missing");
}

TEST_F(DatasetFile, ATxtFileIsOneDocument) {
  const std::string text = "First line.\n\nSecond paragraph, {not JSON}.\n";
  auto examples = read(text, DataFormat::detect, "notes.txt");
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(std::get<PlainText>(examples[0].content).text, text);
  EXPECT_EQ(examples[0].source, (dir / "notes.txt").string());
  EXPECT_EQ(read(text, DataFormat::text, "notes.txt").size(), 1u);
  EXPECT_EQ(error(text, DataFormat::chat, "notes.txt"),
            "notes.txt: a .txt file is one text document, not the chat format");
  EXPECT_EQ(error(" \n\n", DataFormat::detect, "notes.txt"),
            "notes.txt: no examples (the file has no text)");
  EXPECT_EQ(error("caf\xe9\n", DataFormat::detect, "notes.txt"), "notes.txt: not valid UTF-8");
}

TEST_F(DatasetFile, RefusesMalformedJsonNamingTheLine) {
  EXPECT_EQ(error("{\"text\": \"a\"}\n{\"text\": \"b\"\n{\"text\": \"c\"}\n"),
            "data.jsonl:2: not valid JSON at column 13: syntax error while parsing object - "
            "unexpected end of input; expected '}'");
  EXPECT_EQ(error("{\"text\": \"a\"}\n[1, 2]\n"),
            "data.jsonl:2: expected a JSON object, got [1,2]");
  EXPECT_EQ(error("{\"txt\": \"a\"}\n"),
            "data.jsonl:1: no field tells the format: expected \"messages\", \"prompt\" and "
            "\"completion\", \"instruction\" and \"output\" (Alpaca), or \"text\"");
  // Found by fuzz_jsonl_examples: a number past the double range is the JSON reader's
  // out_of_range, not a parse error; it too is this line's error.
  EXPECT_EQ(error("{\"text\": \"a\"}\n{\"text\": \"b\", \"n\": 1e400}\n"),
            "data.jsonl:2: not valid JSON: number overflow parsing '1e400'");
}

TEST_F(DatasetFile, RefusesAFieldOfTheWrongType) {
  EXPECT_EQ(error("{\"text\": \"a\"}\n{\"text\": \"b\"}\n\n"
                  "{\"prompt\": \"p\", \"completion\": 3}\n"),
            "data.jsonl:4: field \"completion\" must be a string, got 3");
  EXPECT_EQ(error("{\"text\": [\"a long list of words\", \"that goes on and on\", \"and on\"]}\n"),
            "data.jsonl:1: field \"text\" must be a string, got [\"a long list of words\",\"that "
            "goes on an...");
  EXPECT_EQ(error("{\"instruction\": \"i\", \"input\": 1, \"output\": \"o\"}\n"),
            "data.jsonl:1: field \"input\" must be a string, got 1");
}

TEST_F(DatasetFile, RefusesMalformedConversations) {
  EXPECT_EQ(error("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, "
                  "{\"role\": \"robot\", \"content\": \"beep\"}]}\n"),
            "data.jsonl:1: field \"messages[1].role\" must be one of system, user, assistant, "
            "tool, got \"robot\"");
  EXPECT_EQ(error("{\"messages\": [{\"role\": \"assistant\", \"content\": null}]}\n"),
            "data.jsonl:1: field \"messages[0].content\" must be a string, got null");
  EXPECT_EQ(error("{\"messages\": [{\"content\": \"hi\"}]}\n"),
            "data.jsonl:1: field \"messages[0].role\" is missing");
  EXPECT_EQ(error("{\"messages\": [\"hi\"]}\n"),
            "data.jsonl:1: field \"messages[0]\" must be a {\"role\", \"content\"} object, got "
            "\"hi\"");
  EXPECT_EQ(error("{\"messages\": []}\n"),
            "data.jsonl:1: field \"messages\" must be a non-empty list of {\"role\", "
            "\"content\"}, got []");
}

TEST_F(DatasetFile, RefusesAFileWithoutExamples) {
  EXPECT_EQ(error(""), "data.jsonl: no examples (the file is empty or only blank lines)");
  EXPECT_EQ(error("\n  \n\r\n"), "data.jsonl: no examples (the file is empty or only blank lines)");
  EXPECT_NE(error_of([&] {
              read_examples(dir / "missing.jsonl", DataFormat::detect);
            }).find("missing.jsonl: cannot open"),
            std::string::npos);
}

TEST(DataFormatName, ParsesTheFlagValues) {
  EXPECT_EQ(parse_data_format("auto"), DataFormat::detect);
  EXPECT_EQ(parse_data_format("text"), DataFormat::text);
  EXPECT_EQ(parse_data_format("prompt_completion"), DataFormat::prompt_completion);
  EXPECT_EQ(parse_data_format("alpaca"), DataFormat::alpaca);
  EXPECT_EQ(parse_data_format("chat"), DataFormat::chat);
  EXPECT_EQ(error_of([] { parse_data_format("sharegpt"); }),
            "data format \"sharegpt\" is not one of auto, text, prompt_completion, alpaca, chat");
}

}  // namespace
}  // namespace retune
