// The texts a fresh tokenizer is built from: every string of every example of the corpus files
// (any file read_examples reads: .txt, JSONL text, prompt/completion, Alpaca, chat), so that the
// tokenizer covers what training on those files will tokenize.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace retune::pretrain {

// The texts of the files, in file order: a text example's text; a prompt/completion's prompt and
// completion (Alpaca's prompt is the one training builds, template included); each chat
// message's role and content. Throws an Error for no file, a file read_examples refuses, or a
// corpus whose texts are all empty.
std::vector<std::string> read_corpus_texts(const std::vector<std::filesystem::path>& files);

}  // namespace retune::pretrain
