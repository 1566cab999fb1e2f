#include "core/dtype.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

namespace retune {
namespace {

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtype_size(DType::f32), 4u);
  EXPECT_EQ(dtype_size(DType::bf16), 2u);
  EXPECT_EQ(dtype_size(DType::f16), 2u);
  EXPECT_EQ(dtype_size(DType::i32), 4u);
  EXPECT_EQ(dtype_size(DType::i64), 8u);
  EXPECT_EQ(dtype_name(DType::bf16), "bf16");
  EXPECT_TRUE(dtype_is_float(DType::f16));
  EXPECT_FALSE(dtype_is_float(DType::i64));
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  // Exactly halfway between 0x3f80 and 0x3f81: ties go to the even one.
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);
  // Just above halfway rounds up.
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  // A NaN whose payload sits only in the low bits must not become infinity.
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::bit_cast<float>(0x7f800001u)))));
}

TEST(Bf16, EveryValueRoundTrips) {
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    const auto value = static_cast<uint16_t>(bits);
    const float f = bf16_to_f32(value);
    if (std::isnan(f)) continue;
    ASSERT_EQ(f32_to_bf16(f), value) << "bits " << bits;
  }
}

TEST(F16, EveryValueRoundTripsAndMatchesTheCompiler) {
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    const auto value = static_cast<uint16_t>(bits);
    const float f = f16_to_f32(value);
    const auto native = static_cast<float>(std::bit_cast<_Float16>(value));
    if (std::isnan(native)) {
      ASSERT_TRUE(std::isnan(f)) << "bits " << bits;
      continue;
    }
    ASSERT_EQ(f, native) << "bits " << bits;
    ASSERT_EQ(f32_to_f16(f), value) << "bits " << bits;
  }
}

TEST(F16, RoundingMatchesTheCompilerOnManyFloats) {
  // Every 4099th f32 bit pattern: normals, subnormal halves, overflow, ties.
  for (uint64_t bits = 0; bits <= 0xffffffffull; bits += 4099) {
    const float f = std::bit_cast<float>(static_cast<uint32_t>(bits));
    const auto native = std::bit_cast<uint16_t>(static_cast<_Float16>(f));
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f))));
      continue;
    }
    ASSERT_EQ(f32_to_f16(f), native) << "f32 bits " << bits;
  }
}

TEST(Conversions, BulkEqualsScalar) {
  const float values[] = {0.0f, -1.5f, 3.14159f, 65504.0f, 1e-6f, -7e4f};
  uint16_t half[6], brain[6];
  float back[6];
  convert_f32_to_f16(values, half, 6);
  convert_f32_to_bf16(values, brain, 6);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(half[i], f32_to_f16(values[i]));
    EXPECT_EQ(brain[i], f32_to_bf16(values[i]));
  }
  convert_f16_to_f32(half, back, 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(back[i], f16_to_f32(half[i]));
  convert_bf16_to_f32(brain, back, 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(back[i], bf16_to_f32(brain[i]));
}

}  // namespace
}  // namespace retune
