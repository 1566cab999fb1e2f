// Long documents for pretraining: an example longer than a row is cut into consecutive windows
// of at most `length` tokens instead of being truncated to its first row, so that a corpus of
// long texts (a .txt file is one example) is learned whole.
//
// Window k of an example of n ids covers ids [k (L - 1), k (L - 1) + L) (the last one shorter),
// L = length: consecutive windows share one token, the last of one being the first of the next,
// so every token but the example's first is predicted exactly once (a window's first token is
// never a target, packing.h). Each window keeps the `trained` flags of its ids. Examples of at
// most L ids stay as they are.
#pragma once

#include <cstdint>
#include <vector>

#include "data/tokenized_example.h"

namespace retune {

// length >= 2.
std::vector<TokenizedExample> split_long_examples(std::vector<TokenizedExample> examples,
                                                  int64_t length);

}  // namespace retune
