// The tiers of bf16 operand copies the GPU's products keep (ops/cuda/kept_operands.h): a copy is
// found only by its exact key, a find makes it the most recently used, and the least recently
// used copies leave first when a tier holds too many copies or too many bytes. The tiers are
// plain containers, so CPU tensors stand in for the copies; built with the CUDA backend only.
#if RETUNE_CUDA
#include "ops/cuda/kept_operands.h"

#include <gtest/gtest.h>

namespace retune::ops::cuda {
namespace {

OperandKey key(int64_t data, int64_t version = 1) {
  return {data, static_cast<int64_t>(DType::f32), 4, 4, 4, 0, version, 1};
}

Tensor copy_of(int64_t bytes) {
  return Tensor::zeros({bytes / 2}, DType::bf16);
}

TEST(OperandTier, FindsOnlyTheExactKey) {
  OperandTier tier(4, SIZE_MAX);
  const Tensor packed = copy_of(32);
  tier.keep(key(1), packed);
  EXPECT_EQ(tier.find(key(1)).storage(), packed.storage());
  EXPECT_FALSE(tier.find(key(1, 2)).defined()) << "another version of the same bytes";
  EXPECT_FALSE(tier.find(key(2)).defined());
  tier.keep(key(1), copy_of(32));  // kept already: the first copy stays
  EXPECT_EQ(tier.find(key(1)).storage(), packed.storage());
  EXPECT_EQ(tier.size(), 1u);
}

TEST(OperandTier, DropsTheLeastRecentlyUsedPastItsCount) {
  OperandTier tier(3, SIZE_MAX);
  for (int64_t data = 1; data <= 3; ++data) tier.keep(key(data), copy_of(32));
  EXPECT_TRUE(tier.find(key(1)).defined());  // 1 is now the most recently used
  tier.keep(key(4), copy_of(32));            // 2 leaves
  EXPECT_FALSE(tier.find(key(2)).defined());
  for (const int64_t data : {1, 3, 4}) EXPECT_TRUE(tier.find(key(data)).defined()) << data;
  EXPECT_EQ(tier.size(), 3u);
}

TEST(OperandTier, DropsTheLeastRecentlyUsedPastItsBytes) {
  OperandTier tier(SIZE_MAX, 100);
  tier.keep(key(1), copy_of(40));
  tier.keep(key(2), copy_of(40));
  tier.keep(key(3), copy_of(40));  // 120 bytes: 1 leaves
  EXPECT_FALSE(tier.find(key(1)).defined());
  EXPECT_TRUE(tier.find(key(2)).defined());
  tier.keep(key(4), copy_of(200));  // larger than the budget: everything leaves, itself too
  EXPECT_EQ(tier.size(), 0u);
}

}  // namespace
}  // namespace retune::ops::cuda
#endif
