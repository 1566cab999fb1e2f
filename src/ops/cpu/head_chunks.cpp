#include "ops/cpu/head_chunks.h"

#include <algorithm>
#include <cmath>

#include "ops/cpu/vector_exp.h"
#include "ops/cross_entropy_head.h"

namespace retune::ops::cpu {

const float* head_weight_rows(const void* weight, DType dtype, int64_t C, int64_t v0, int64_t count,
                              std::vector<float>& scratch) {
  if (dtype == DType::f32) return static_cast<const float*>(weight) + v0 * C;
  scratch.resize(static_cast<size_t>(count * C));
  const uint16_t* in = static_cast<const uint16_t*>(weight) + v0 * C;
  const bool bf16 = dtype == DType::bf16;
  const auto row_size = static_cast<size_t>(C);
#pragma omp parallel for schedule(static)
  for (int64_t v = 0; v < count; ++v) {
    if (bf16) {
      convert_bf16_to_f32(in + v * C, scratch.data() + v * C, row_size);
    } else {
      convert_f16_to_f32(in + v * C, scratch.data() + v * C, row_size);
    }
  }
  return scratch.data();
}

int64_t head_row_block(int64_t rows, int64_t width, int64_t buffers) {
  return std::clamp(kHeadScratchFloats / (width * buffers), int64_t{1}, rows);
}

std::vector<int64_t> scored_rows(const int32_t* labels, int64_t N) {
  std::vector<int64_t> index;
  for (int64_t n = 0; n < N; ++n) {
    if (labels[n] != kIgnoreIndex) index.push_back(n);
  }
  return index;
}

std::vector<float> gather_rows(const float* x, int64_t C, const std::vector<int64_t>& index) {
  std::vector<float> rows;
  rows.reserve(index.size() * static_cast<size_t>(C));
  for (const int64_t n : index) rows.insert(rows.end(), x + n * C, x + (n + 1) * C);
  return rows;
}

void scatter_rows(const std::vector<int64_t>& index, const std::vector<float>& values, int64_t C,
                  float* out) {
  for (size_t r = 0; r < index.size(); ++r) {
    std::copy_n(values.data() + static_cast<int64_t>(r) * C, C, out + index[r] * C);
  }
}

float row_max(const float* row, int64_t count) {
  float result = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < count; ++j) result = std::max(result, row[j]);
  return result;
}

double exp_in_place(float* row, int64_t count, float shift) {
  exp_shifted_in_place(row, count, shift);
  double sum = 0;
  for (int64_t j = 0; j < count; ++j) sum += row[j];
  return sum;
}

void RunningLse::add(float* logits, int64_t count) {
  const float new_max = std::max(max, row_max(logits, count));
  sum = sum * std::exp(double{max} - new_max) + exp_in_place(logits, count, new_max);
  max = new_max;
}

double RunningLse::value() const {
  return max + std::log(sum);
}

}  // namespace retune::ops::cpu
