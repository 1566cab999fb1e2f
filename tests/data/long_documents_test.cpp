// split_long_examples: windows sharing one token so that every token after the first is
// predicted once, trained flags kept, short examples untouched.
#include "data/long_documents.h"

#include <gtest/gtest.h>

#include <vector>

#include "support/error_of.h"

namespace retune {
namespace {

TEST(LongDocuments, CutsIntoWindowsSharingOneToken) {
  // 10 ids in rows of 4: [0..4), [3..7), [6..10).
  TokenizedExample long_one;
  for (int32_t i = 0; i < 10; ++i) long_one.ids.push_back(i);
  long_one.trained = {false, true, true, true, false, true, true, true, true, false};
  const TokenizedExample short_one{{7, 8}, {true, true}};
  const auto windows = split_long_examples({long_one, short_one}, 4);
  ASSERT_EQ(windows.size(), 4u);
  EXPECT_EQ(windows[0].ids, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(windows[1].ids, (std::vector<int32_t>{3, 4, 5, 6}));
  EXPECT_EQ(windows[2].ids, (std::vector<int32_t>{6, 7, 8, 9}));
  EXPECT_EQ(windows[1].trained, (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(windows[3].ids, short_one.ids);
  // Targets: every id after the first exactly once (each window's first is never predicted).
  std::vector<int32_t> predicted;
  for (size_t w = 0; w < 3; ++w) {
    predicted.insert(predicted.end(), windows[w].ids.begin() + 1, windows[w].ids.end());
  }
  EXPECT_EQ(predicted, (std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(LongDocuments, LastWindowMayBeShorterAndExactFitsStay) {
  TokenizedExample eleven;
  for (int32_t i = 0; i < 11; ++i) eleven.ids.push_back(i);
  eleven.trained.assign(11, true);
  const auto windows = split_long_examples({eleven}, 4);
  ASSERT_EQ(windows.size(), 4u);
  EXPECT_EQ(windows[3].ids, (std::vector<int32_t>{9, 10}));
  TokenizedExample four{{1, 2, 3, 4}, {true, true, true, true}};
  EXPECT_EQ(split_long_examples({four}, 4).size(), 1u);
  EXPECT_EQ(error_of([] { split_long_examples({}, 1); }), "rows of 1 tokens cannot hold a window");
}

}  // namespace
}  // namespace retune
