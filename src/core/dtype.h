// Element types of tensors and the conversions between the 16-bit floats and f32.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace retune {

enum class DType : uint8_t { f32, bf16, f16, i32, i64 };

// Bytes per element.
size_t dtype_size(DType dtype);
// "f32", "bf16", "f16", "i32", "i64".
std::string_view dtype_name(DType dtype);
bool dtype_is_float(DType dtype);

// bfloat16: the upper half of an IEEE f32. Rounds to nearest even; NaN stays NaN.
inline uint16_t f32_to_bf16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}
inline float bf16_to_f32(uint16_t value) {
  return std::bit_cast<float>(static_cast<uint32_t>(value) << 16);
}

// IEEE binary16. Rounds to nearest even; overflow goes to infinity; subnormals are kept.
uint16_t f32_to_f16(float value);
float f16_to_f32(uint16_t value);

// Bulk conversions of n elements (vectorisable loops).
void convert_bf16_to_f32(const uint16_t* in, float* out, size_t n);
void convert_f32_to_bf16(const float* in, uint16_t* out, size_t n);
void convert_f16_to_f32(const uint16_t* in, float* out, size_t n);
void convert_f32_to_f16(const float* in, uint16_t* out, size_t n);

}  // namespace retune
