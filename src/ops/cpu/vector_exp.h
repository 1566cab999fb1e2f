// exp for the CPU kernels' inner loops, written so the compiler vectorises it (std::exp is a
// libm call per element, which no loop around it can vectorise).
//
// e^x = 2^k * e^r with k = round(x / ln 2) and r = x - k ln 2 (ln 2 in two parts, so r is
// exact), and e^r by Cephes' degree-6 polynomial on |r| <= ln(2)/2. Relative error within 2 ulp
// of the true value on [-87.3, 88.72] (tests/ops/vector_exp_test.cpp checks it against std::exp).
// Below -87.3 (including -inf, a masked score) the result is 0, not a subnormal; above
// 88.72 it is +inf; NaN stays NaN.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>

namespace retune::ops::cpu {

inline float vector_exp(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2High = 0.693359375f;    // 9 significant bits: k * kLn2High is exact
  constexpr float kLn2Low = -2.12194440e-4f;  // ln 2 - kLn2High
  constexpr float kRound = 12582912.0f;       // 1.5 * 2^23: adding it rounds to an integer
  constexpr float kLowest = -87.3f;           // e^-87.3 is just above the smallest normal
  constexpr float kHighest = 88.72f;          // e^88.72 is just below the largest float
  // NaN fails both tests and becomes kLowest here, so the conversion to int below stays defined.
  const float clamped = x >= kLowest ? (x <= kHighest ? x : kHighest) : kLowest;
  const float k = (clamped * kLog2e + kRound) - kRound;  // in [-126, 128]
  const float r = (clamped - k * kLn2High) - k * kLn2Low;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e_r = p * r * r + r + 1.0f;
  // 2^k as two normal powers of two, since 2^128 and 2^-126 * e_r may not be representable.
  const auto k_int = static_cast<int32_t>(k);
  const int32_t k_half = k_int / 2;
  const float two_k_half = std::bit_cast<float>((k_half + 127) << 23);
  const float two_k_rest = std::bit_cast<float>((k_int - k_half + 127) << 23);
  float result = e_r * two_k_half * two_k_rest;
  result = x < kLowest ? 0.0f : result;
  result = x > kHighest ? std::numeric_limits<float>::infinity() : result;
  return x != x ? x : result;  // NaN in, NaN out
}

// row[j] = e^(row[j] - shift) for j < n.
inline void exp_shifted_in_place(float* row, int64_t n, float shift) {
  for (int64_t j = 0; j < n; ++j) row[j] = vector_exp(row[j] - shift);
}

}  // namespace retune::ops::cpu
