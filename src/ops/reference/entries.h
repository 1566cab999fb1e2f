// Plain-loop reference of ops/entries.h, in any floating type (double for the checks).
#pragma once

#include <cstdint>

namespace retune::ops::reference {

template <typename T>
void gather_entries(const T* source, const int32_t* indices, int64_t k, T* out) {
  for (int64_t j = 0; j < k; ++j) out[j] = source[indices[j]];
}

template <typename T>
void scatter_entries(T* target, const int32_t* indices, int64_t k, const T* values) {
  for (int64_t j = 0; j < k; ++j) target[indices[j]] = values[j];
}

}  // namespace retune::ops::reference
