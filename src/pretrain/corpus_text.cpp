#include "pretrain/corpus_text.h"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "core/error.h"
#include "data/dataset_file.h"

namespace retune::pretrain {

std::vector<std::string> read_corpus_texts(const std::vector<std::filesystem::path>& files) {
  RETUNE_CHECK(!files.empty(), "no corpus file given");
  std::vector<std::string> texts;
  for (const std::filesystem::path& file : files) {
    for (Example& example : read_examples(file, DataFormat::detect)) {
      std::visit(
          [&](auto& content) {
            using Content = std::decay_t<decltype(content)>;
            if constexpr (std::is_same_v<Content, PlainText>) {
              texts.push_back(std::move(content.text));
            } else if constexpr (std::is_same_v<Content, PromptCompletion>) {
              texts.push_back(std::move(content.prompt));
              texts.push_back(std::move(content.completion));
            } else {
              for (ChatMessage& message : content.messages) {
                texts.push_back(std::move(message.role));
                texts.push_back(std::move(message.content));
              }
            }
          },
          example.content);
    }
  }
  const bool all_empty =
      std::all_of(texts.begin(), texts.end(), [](const std::string& text) { return text.empty(); });
  if (all_empty) {
    std::string names;
    for (const auto& file : files) names += (names.empty() ? "" : ", ") + file.string();
    fail("{}: the corpus has no text to build a tokenizer from", names);
  }
  return texts;
}

}  // namespace retune::pretrain
