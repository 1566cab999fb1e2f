// Random numbers that are the same on every machine and thread count.
//
// counter_uniform(seed, index) is stateless (a hash of seed and index), so element i of a
// dropout mask is the same whichever thread draws it. Rng is a small sequential generator
// (splitmix64) for initialisation and test data.
#pragma once

#include <cstdint>

namespace retune {

// splitmix64's finaliser: a bijective 64-bit mix. constexpr, so that GPU kernels (built with
// --expt-relaxed-constexpr) draw the same numbers from these very functions (ops/cuda/dropout.cu).
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// Uniform in [0, 1) with 24 random bits, a pure function of (seed, index).
constexpr float counter_uniform(uint64_t seed, uint64_t index) {
  const uint64_t bits = mix64(mix64(seed + 0x9e3779b97f4a7c15ull) ^ index);
  return static_cast<float>(bits >> 40) * 0x1p-24f;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next_u64() {
    state_ += 0x9e3779b97f4a7c15ull;
    return mix64(state_);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi].
  int64_t integer(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(next_u64() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

}  // namespace retune
