// ReplayMix: the replayed share of rows per batch (exactly p over any run, to within a row, also
// when p * B is fractional), which rows come from which stream, epochs continuing row by row,
// resuming from saved positions, and the refusals.
#include "data/replay_mix.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "support/error_of.h"

namespace retune {
namespace {

// n one-row examples whose first token is first + i (a row's origin can be read off it).
std::vector<TokenizedExample> tagged_examples(int n, int32_t first) {
  std::vector<TokenizedExample> examples;
  for (int i = 0; i < n; ++i) examples.push_back({{first + i, 1, 2}, {true, true, true}});
  return examples;
}

BatchStream rows_of(int n, int32_t first) {
  return BatchStream(tagged_examples(n, first), {1, {4, false, 0}, false, 0});
}

// The first token of every row of a batch.
std::vector<int32_t> row_tags(const Batch& batch) {
  std::vector<int32_t> tags;
  const int64_t length = batch.input_ids.shape()[1];
  for (int64_t b = 0; b < batch.input_ids.shape()[0]; ++b) {
    tags.push_back(batch.input_ids.data<int32_t>()[b * length]);
  }
  return tags;
}

TEST(ReplayMix, ReplayRowsPerBatchAddUpToTheFraction) {
  // p * B = 1: one replayed row in every batch.
  for (int64_t k = 0; k < 10; ++k) EXPECT_EQ(ReplayMix::replay_rows(0.25, 4, k), 1);
  // p * B = 0.2: one row in batches 4, 9, 14, ... (floor((k + 1) / 5) - floor(k / 5)).
  std::vector<int64_t> rows;
  for (int64_t k = 0; k < 10; ++k) rows.push_back(ReplayMix::replay_rows(0.05, 4, k));
  EXPECT_EQ(rows, (std::vector<int64_t>{0, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
  // Over any prefix of K batches, floor(K p B) rows in all (p B exact in binary here).
  for (const double p : {0.125, 0.375, 0.5, 0.875}) {
    int64_t total = 0;
    for (int64_t k = 0; k < 37; ++k) {
      total += ReplayMix::replay_rows(p, 6, k);
      EXPECT_EQ(total, static_cast<int64_t>(std::floor(static_cast<double>(k + 1) * p * 6)));
    }
  }
  // A decimal fraction: 0.3 of 6 rows is 9 rows every 5 batches, exactly.
  int64_t total = 0;
  for (int64_t k = 0; k < 50; ++k) total += ReplayMix::replay_rows(0.3, 6, k);
  EXPECT_EQ(total, 90);
  EXPECT_EQ(ReplayMix::replay_rows(0, 4, 3), 0);
}

TEST(ReplayMix, LastRowsOfEachBatchAreReplayedAndStreamsWrapRowByRow) {
  ReplayMix mix(rows_of(3, 100), rows_of(2, 200), 4, 0.5);
  // Two training rows then two replayed ones per batch; each stream wraps into its next epoch.
  EXPECT_EQ(row_tags(mix.next()), (std::vector<int32_t>{100, 101, 200, 201}));
  EXPECT_EQ(row_tags(mix.next()), (std::vector<int32_t>{102, 100, 200, 201}));
  EXPECT_EQ(mix.train().position(), (DataPosition{1, 1}));
  EXPECT_EQ(mix.replay().position(), (DataPosition{2, 0}));
  EXPECT_EQ(mix.batches_done(), 2);
}

TEST(ReplayMix, ResumesFromSavedPositions) {
  ReplayMix straight(rows_of(5, 100), rows_of(3, 200), 4, 0.3);
  for (int i = 0; i < 3; ++i) straight.next();
  ReplayMix resumed(BatchStream(tagged_examples(5, 100), {1, {4, false, 0}, false, 0},
                                straight.train().position()),
                    BatchStream(tagged_examples(3, 200), {1, {4, false, 0}, false, 0},
                                straight.replay().position()),
                    4, 0.3, straight.batches_done());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(row_tags(resumed.next()), row_tags(straight.next()));
}

TEST(ReplayMix, RefusesBadSetUps) {
  EXPECT_EQ(error_of([] { ReplayMix(rows_of(2, 100), rows_of(2, 200), 4, 1.0); }),
            "the replay fraction must be in [0, 1), got 1");
  EXPECT_EQ(error_of([] {
              ReplayMix(rows_of(2, 100),
                        BatchStream(tagged_examples(2, 200), {1, {8, false, 0}, false, 0}), 4, 0.5);
            }),
            "replay rows of 8 tokens cannot be mixed with training rows of 4");
}

}  // namespace
}  // namespace retune
