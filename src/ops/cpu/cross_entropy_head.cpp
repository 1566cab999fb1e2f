#include "ops/cpu/cross_entropy_head.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/cpu/gemm.h"
#include "ops/cpu/head_chunks.h"
#include "ops/cross_entropy_head.h"

namespace retune::ops::cpu {

namespace {

// The labelled rows packed together: ignored rows take no part in any product.
struct LabelledRows {
  std::vector<int64_t> index;  // the row's position in the batch
  std::vector<int32_t> label;
  std::vector<float> x;  // [count, C]
  int64_t count() const { return static_cast<int64_t>(index.size()); }
};

LabelledRows gather_labelled(const HeadProblem& p) {
  LabelledRows rows;
  rows.index = scored_rows(p.labels, p.N);
  for (const int64_t n : rows.index) rows.label.push_back(p.labels[n]);
  rows.x = gather_rows(p.x, p.C, rows.index);
  return rows;
}

// Weight rows [v0, v0 + count) as f32.
const float* weight_rows(const HeadProblem& p, int64_t v0, int64_t count,
                         std::vector<float>& scratch) {
  return head_weight_rows(p.weight, p.weight_dtype, p.C, v0, count, scratch);
}

void scale_row(float* row, int64_t count, float factor) {
  for (int64_t j = 0; j < count; ++j) row[j] *= factor;
}

// The softmax gradient of one row's logits for classes [v0, v0 + count), given its lse:
// (softmax - onehot(label)) * scale, in place.
void softmax_grad(float* row, int64_t count, int64_t v0, float lse, int32_t label, float scale) {
  exp_in_place(row, count, lse);
  scale_row(row, count, scale);
  if (label >= v0 && label < v0 + count) row[label - v0] -= scale;
}

}  // namespace

float cross_entropy_head_forward(const HeadProblem& p, float* lse) {
  std::fill(lse, lse + p.N, 0.0f);
  const LabelledRows rows = gather_labelled(p);
  const int64_t n = rows.count();
  if (n == 0) return 0.0f;
  const int64_t chunk = std::min(p.chunk, p.V);
  const int64_t block = head_row_block(n, chunk);
  // Each row's running logsumexp over the chunks so far, and its label's logit.
  std::vector<RunningLse> running(static_cast<size_t>(n));
  std::vector<float> target(static_cast<size_t>(n));
  std::vector<float> logits(static_cast<size_t>(block * chunk));
  std::vector<float> weight_scratch;
  for (int64_t v0 = 0; v0 < p.V; v0 += chunk) {
    const int64_t count = std::min(chunk, p.V - v0);
    const float* w = weight_rows(p, v0, count, weight_scratch);
    for (int64_t r0 = 0; r0 < n; r0 += block) {
      const int64_t rc = std::min(block, n - r0);
      gemm(rc, count, p.C, 1.0f, {rows.x.data() + r0 * p.C, p.C, 0, false}, {w, p.C, 0, true}, 0.0f,
           logits.data(), count);
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < rc; ++i) {
        const auto r = static_cast<size_t>(r0 + i);
        float* row = logits.data() + i * count;
        const int32_t label = rows.label[r];
        if (label >= v0 && label < v0 + count) target[r] = row[label - v0];
        running[r].add(row, count);
      }
    }
  }
  double total = 0;
  for (size_t r = 0; r < rows.index.size(); ++r) {
    const double row_lse = running[r].value();
    lse[rows.index[r]] = static_cast<float>(row_lse);
    total += row_lse - target[r];
  }
  return static_cast<float>(total / static_cast<double>(n));
}

void cross_entropy_head_backward(const HeadProblem& p, float dloss, const float* lse, float* dx,
                                 float* dweight) {
  if (dx) std::fill(dx, dx + p.N * p.C, 0.0f);
  const LabelledRows rows = gather_labelled(p);
  const int64_t n = rows.count();
  if (n == 0 || (!dx && !dweight)) return;
  const float scale = dloss / static_cast<float>(n);
  const int64_t chunk = std::min(p.chunk, p.V);
  const int64_t block = head_row_block(n, chunk);
  std::vector<float> dx_rows(dx ? static_cast<size_t>(n * p.C) : 0);
  std::vector<float> dlogits(static_cast<size_t>(block * chunk));
  std::vector<float> weight_scratch;
  for (int64_t v0 = 0; v0 < p.V; v0 += chunk) {
    const int64_t count = std::min(chunk, p.V - v0);
    const float* w = weight_rows(p, v0, count, weight_scratch);
    for (int64_t r0 = 0; r0 < n; r0 += block) {
      const int64_t rc = std::min(block, n - r0);
      const float* x_block = rows.x.data() + r0 * p.C;
      gemm(rc, count, p.C, 1.0f, {x_block, p.C, 0, false}, {w, p.C, 0, true}, 0.0f, dlogits.data(),
           count);
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < rc; ++i) {
        const auto r = static_cast<size_t>(r0 + i);
        softmax_grad(dlogits.data() + i * count, count, v0, lse[rows.index[r]], rows.label[r],
                     scale);
      }
      // dx_block += dlogits @ w;  dweight[v0:] += dlogits^T @ x_block.
      if (dx) {
        gemm(rc, p.C, count, 1.0f, {dlogits.data(), count, 0, false}, {w, p.C, 0, false},
             v0 == 0 ? 0.0f : 1.0f, dx_rows.data() + r0 * p.C, p.C);
      }
      if (dweight) {
        gemm(count, p.C, rc, 1.0f, {dlogits.data(), count, 0, true}, {x_block, p.C, 0, false}, 1.0f,
             dweight + v0 * p.C, p.C);
      }
    }
  }
  if (dx) scatter_rows(rows.index, dx_rows, p.C, dx);
}

float cross_entropy_head_forward_backward(const HeadProblem& p, float dloss, float* lse, float* dx,
                                          float* dweight) {
  std::fill(lse, lse + p.N, 0.0f);
  if (dx) std::fill(dx, dx + p.N * p.C, 0.0f);
  const LabelledRows rows = gather_labelled(p);
  const int64_t n = rows.count();
  if (n == 0) return 0.0f;
  const float scale = dloss / static_cast<float>(n);
  const int64_t chunk = std::min(p.chunk, p.V);
  const int64_t block = head_row_block(n, p.V);  // a block holds its rows' logits for every class
  std::vector<double> row_loss(static_cast<size_t>(n));
  std::vector<float> dx_rows(dx ? static_cast<size_t>(n * p.C) : 0);
  std::vector<float> logits(static_cast<size_t>(block * p.V));
  std::vector<float> weight_scratch;
  for (int64_t r0 = 0; r0 < n; r0 += block) {
    const int64_t rc = std::min(block, n - r0);
    const float* x_block = rows.x.data() + r0 * p.C;
    for (int64_t v0 = 0; v0 < p.V; v0 += chunk) {
      const int64_t count = std::min(chunk, p.V - v0);
      const float* w = weight_rows(p, v0, count, weight_scratch);
      gemm(rc, count, p.C, 1.0f, {x_block, p.C, 0, false}, {w, p.C, 0, true}, 0.0f,
           logits.data() + v0, p.V);
    }
    // Logits become their gradient (softmax - onehot) / n in place.
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rc; ++i) {
      const auto r = static_cast<size_t>(r0 + i);
      float* row = logits.data() + i * p.V;
      const int32_t label = rows.label[r];
      const float target = row[label];
      const float shift = row_max(row, p.V);
      const double sum = exp_in_place(row, p.V, shift);
      const double row_lse = shift + std::log(sum);
      lse[rows.index[r]] = static_cast<float>(row_lse);
      row_loss[r] = row_lse - target;
      scale_row(row, p.V, static_cast<float>(scale / sum));
      row[label] -= scale;
    }
    for (int64_t v0 = 0; v0 < p.V; v0 += chunk) {
      const int64_t count = std::min(chunk, p.V - v0);
      const float* w = weight_rows(p, v0, count, weight_scratch);
      if (dx) {
        gemm(rc, p.C, count, 1.0f, {logits.data() + v0, p.V, 0, false}, {w, p.C, 0, false},
             v0 == 0 ? 0.0f : 1.0f, dx_rows.data() + r0 * p.C, p.C);
      }
      if (dweight) {
        gemm(count, p.C, rc, 1.0f, {logits.data() + v0, p.V, 0, true}, {x_block, p.C, 0, false},
             1.0f, dweight + v0 * p.C, p.C);
      }
    }
  }
  if (dx) scatter_rows(rows.index, dx_rows, p.C, dx);
  double total = 0;
  for (const double value : row_loss) total += value;
  return static_cast<float>(total / static_cast<double>(n));
}

}  // namespace retune::ops::cpu
