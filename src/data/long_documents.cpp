#include "data/long_documents.h"

#include <algorithm>
#include <utility>

#include "core/error.h"

namespace retune {

std::vector<TokenizedExample> split_long_examples(std::vector<TokenizedExample> examples,
                                                  int64_t length) {
  RETUNE_CHECK(length >= 2, "rows of {} tokens cannot hold a window", length);
  const auto size = static_cast<size_t>(length);
  std::vector<TokenizedExample> windows;
  for (TokenizedExample& example : examples) {
    if (example.ids.size() <= size) {
      windows.push_back(std::move(example));
      continue;
    }
    for (size_t start = 0; start + 1 < example.ids.size(); start += size - 1) {
      const size_t end = std::min(start + size, example.ids.size());
      windows.push_back({{example.ids.begin() + static_cast<std::ptrdiff_t>(start),
                          example.ids.begin() + static_cast<std::ptrdiff_t>(end)},
                         {example.trained.begin() + static_cast<std::ptrdiff_t>(start),
                          example.trained.begin() + static_cast<std::ptrdiff_t>(end)},
                         example.task});
    }
  }
  return windows;
}

}  // namespace retune
