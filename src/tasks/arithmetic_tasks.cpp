#include <cstdint>
#include <string>
#include <utility>

#include "tasks/task_instances.h"

namespace retune::tasks {
namespace {

// A number whose digit count is drawn from `digits`, uniform among the numbers of that many
// digits (0-9 for one digit). Nine digits at most, so products fit in 64 bits.
uint64_t random_number(Rng& rng, LengthRange digits) {
  const int64_t count = rng.integer(digits.min, digits.max);
  int64_t high = 1;
  for (int64_t i = 0; i < count; ++i) high *= 10;
  return static_cast<uint64_t>(rng.integer(count == 1 ? 0 : high / 10, high - 1));
}

// "a{sign}b=" → `result`.
PromptCompletion arithmetic(uint64_t a, char sign, uint64_t b, uint64_t result) {
  return {std::to_string(a) + sign + std::to_string(b) + "=", std::to_string(result)};
}

}  // namespace

PromptCompletion add_instance(Rng& rng, LengthRange digits) {
  const uint64_t a = random_number(rng, digits);
  const uint64_t b = random_number(rng, digits);
  return arithmetic(a, '+', b, a + b);
}

PromptCompletion subtract_instance(Rng& rng, LengthRange digits) {
  uint64_t a = random_number(rng, digits);
  uint64_t b = random_number(rng, digits);
  if (a < b) std::swap(a, b);
  return arithmetic(a, '-', b, a - b);
}

PromptCompletion multiply_instance(Rng& rng, LengthRange digits) {
  const uint64_t a = random_number(rng, digits);
  const uint64_t b = random_number(rng, digits);
  return arithmetic(a, '*', b, a * b);
}

}  // namespace retune::tasks
