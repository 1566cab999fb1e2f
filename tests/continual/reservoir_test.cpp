// Reservoir: fills up in order, then keeps a uniform sample of everything offered (each of n
// items kept with probability capacity / n, checked over many seeds), reproducibly per seed.
#include "continual/reservoir.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/error_of.h"

namespace retune::continual {
namespace {

TEST(Reservoir, FillsInOrderUntilFull) {
  Reservoir reservoir(3, 0);
  reservoir.offer("a");
  reservoir.offer("b");
  EXPECT_EQ(reservoir.items(), (std::vector<std::string>{"a", "b"}));
  reservoir.offer("c");
  EXPECT_EQ(reservoir.items(), (std::vector<std::string>{"a", "b", "c"}));
  for (int i = 0; i < 10; ++i) reservoir.offer("x");
  EXPECT_EQ(reservoir.items().size(), 3u);
  EXPECT_EQ(reservoir.offered(), 13);
}

TEST(Reservoir, KeepsEveryItemWithEqualProbability) {
  // 20 items into 5 slots, over 4000 seeds: each item kept 4000 * 5 / 20 = 1000 times, with a
  // standard deviation of about sqrt(4000 * 0.25 * 0.75) = 27.
  const int items = 20;
  std::vector<int> kept(items, 0);
  for (uint64_t seed = 0; seed < 4000; ++seed) {
    Reservoir reservoir(5, seed);
    for (int i = 0; i < items; ++i) reservoir.offer(std::to_string(i));
    for (const std::string& item : reservoir.items()) ++kept[std::stoi(item)];
  }
  for (int i = 0; i < items; ++i) EXPECT_NEAR(kept[i], 1000, 120) << "item " << i;
}

TEST(Reservoir, IsReproducibleAndRefusesNoRoom) {
  Reservoir a(4, 9);
  Reservoir b(4, 9);
  for (int i = 0; i < 50; ++i) {
    a.offer(std::to_string(i));
    b.offer(std::to_string(i));
  }
  EXPECT_EQ(a.items(), b.items());
  EXPECT_EQ(error_of([] { Reservoir(0, 1); }), "a replay buffer holds at least one example, got 0");
}

}  // namespace
}  // namespace retune::continual
