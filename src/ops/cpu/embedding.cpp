#include "ops/cpu/embedding.h"

#include <cstring>

#include "ops/cpu/column_blocks.h"

namespace retune::ops::cpu {

void embedding_forward(const int32_t* ids, const void* table, DType table_dtype, int64_t N,
                       int64_t C, float* out) {
  const auto row_size = static_cast<size_t>(C);
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; ++n) {
    const int64_t at = ids[n] * C;
    float* row = out + n * C;
    if (table_dtype == DType::f32) {
      std::memcpy(row, static_cast<const float*>(table) + at, row_size * sizeof(float));
    } else if (table_dtype == DType::bf16) {
      convert_bf16_to_f32(static_cast<const uint16_t*>(table) + at, row, row_size);
    } else {
      convert_f16_to_f32(static_cast<const uint16_t*>(table) + at, row, row_size);
    }
  }
}

void embedding_backward(const int32_t* ids, const float* dout, int64_t N, int64_t C,
                        float* dtable) {
  for_each_column_block(C, [&](int64_t c0, int64_t c1) {
    for (int64_t n = 0; n < N; ++n) {
      const float* d = dout + n * C;
      float* row = dtable + ids[n] * C;
      for (int64_t c = c0; c < c1; ++c) row[c] += d[c];
    }
  });
}

}  // namespace retune::ops::cpu
