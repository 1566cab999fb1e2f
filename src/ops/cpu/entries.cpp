#include "ops/cpu/entries.h"

namespace retune::ops::cpu {

void gather_entries(const float* source, const int64_t* indices, int64_t k, float* out) {
  for (int64_t j = 0; j < k; ++j) out[j] = source[indices[j]];
}

void scatter_entries(float* target, const int64_t* indices, int64_t k, const float* values) {
  for (int64_t j = 0; j < k; ++j) target[indices[j]] = values[j];
}

}  // namespace retune::ops::cpu
