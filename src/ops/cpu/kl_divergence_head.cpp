#include "ops/cpu/kl_divergence_head.h"

#include <algorithm>
#include <vector>

#include "ops/cpu/gemm.h"
#include "ops/cpu/head_chunks.h"
#include "ops/cpu/vector_exp.h"

namespace retune::ops::cpu {

namespace {

// The scored rows of the student's and the teacher's hidden states, packed together.
struct ScoredRows {
  std::vector<int64_t> index;  // the row's position in the batch
  std::vector<float> x;        // [count, C]
  std::vector<float> teacher_x;
  int64_t count() const { return static_cast<int64_t>(index.size()); }
};

ScoredRows gather_scored(const KlHeadProblem& p) {
  ScoredRows rows;
  rows.index = scored_rows(p.labels, p.N);
  rows.x = gather_rows(p.x, p.C, rows.index);
  rows.teacher_x = gather_rows(p.teacher_x, p.C, rows.index);
  return rows;
}

// The two heads' weight rows of one vocabulary chunk, as f32.
struct ChunkWeights {
  const float* student;
  const float* teacher;
};

class ChunkReader {
 public:
  explicit ChunkReader(const KlHeadProblem& p) : p_(p) {}
  ChunkWeights rows(int64_t v0, int64_t count) {
    const float* student = head_weight_rows(p_.weight, p_.weight_dtype, p_.C, v0, count, student_);
    const bool shared =
        p_.teacher_weight == p_.weight && p_.teacher_weight_dtype == p_.weight_dtype;
    return {student, shared ? student
                            : head_weight_rows(p_.teacher_weight, p_.teacher_weight_dtype, p_.C, v0,
                                               count, teacher_)};
  }

 private:
  const KlHeadProblem& p_;
  std::vector<float> student_, teacher_;  // 16-bit rows converted
};

// Both heads' logits / τ for rows [r0, r0 + rc) of `rows` and classes [v0, v0 + count), into
// student and teacher [rc, count].
void chunk_logits(const KlHeadProblem& p, const ScoredRows& rows, const ChunkWeights& w, int64_t r0,
                  int64_t rc, int64_t count, float* student, float* teacher) {
  const float inverse = 1.0f / p.temperature;
  gemm(rc, count, p.C, inverse, {rows.x.data() + r0 * p.C, p.C, 0, false},
       {w.student, p.C, 0, true}, 0.0f, student, count);
  gemm(rc, count, p.C, inverse, {rows.teacher_x.data() + r0 * p.C, p.C, 0, false},
       {w.teacher, p.C, 0, true}, 0.0f, teacher, count);
}

}  // namespace

void kl_divergence_head_lse(const KlHeadProblem& p, float* lse, float* teacher_lse) {
  std::fill(lse, lse + p.N, 0.0f);
  std::fill(teacher_lse, teacher_lse + p.N, 0.0f);
  const ScoredRows rows = gather_scored(p);
  const int64_t n = rows.count();
  if (n == 0) return;
  const int64_t chunk = std::min(p.chunk, p.V);
  const int64_t block = head_row_block(n, chunk, 2);
  std::vector<RunningLse> student(static_cast<size_t>(n));
  std::vector<RunningLse> teacher(static_cast<size_t>(n));
  std::vector<float> student_logits(static_cast<size_t>(block * chunk));
  std::vector<float> teacher_logits(student_logits.size());
  ChunkReader reader(p);
  for (int64_t v0 = 0; v0 < p.V; v0 += chunk) {
    const int64_t count = std::min(chunk, p.V - v0);
    const ChunkWeights w = reader.rows(v0, count);
    for (int64_t r0 = 0; r0 < n; r0 += block) {
      const int64_t rc = std::min(block, n - r0);
      chunk_logits(p, rows, w, r0, rc, count, student_logits.data(), teacher_logits.data());
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < rc; ++i) {
        const auto r = static_cast<size_t>(r0 + i);
        student[r].add(student_logits.data() + i * count, count);
        teacher[r].add(teacher_logits.data() + i * count, count);
      }
    }
  }
  for (size_t r = 0; r < rows.index.size(); ++r) {
    lse[rows.index[r]] = static_cast<float>(student[r].value());
    teacher_lse[rows.index[r]] = static_cast<float>(teacher[r].value());
  }
}

float kl_divergence_head_loss(const KlHeadProblem& p, const float* lse, const float* teacher_lse,
                              float dloss, float* dx, float* dweight) {
  if (dx) std::fill(dx, dx + p.N * p.C, 0.0f);
  const ScoredRows rows = gather_scored(p);
  const int64_t n = rows.count();
  if (n == 0) return 0.0f;
  const bool gradients = dx || dweight;
  // d loss / d (logits_s / τ) = τ² (p_s - p_t) / n, and the logits' own 1/τ: τ (p_s - p_t) / n.
  const float scale = dloss * p.temperature / static_cast<float>(n);
  const int64_t chunk = std::min(p.chunk, p.V);
  const int64_t block = head_row_block(n, chunk, 3);
  std::vector<double> row_kl(static_cast<size_t>(n), 0.0);
  std::vector<float> dx_rows(dx ? static_cast<size_t>(n * p.C) : 0);
  // The student's logits become their gradient in place; the teacher's stay for log p_t.
  std::vector<float> student_logits(static_cast<size_t>(block * chunk));
  std::vector<float> teacher_logits(student_logits.size());
  std::vector<float> teacher_p(student_logits.size());
  ChunkReader reader(p);
  for (int64_t v0 = 0; v0 < p.V; v0 += chunk) {
    const int64_t count = std::min(chunk, p.V - v0);
    const ChunkWeights w = reader.rows(v0, count);
    for (int64_t r0 = 0; r0 < n; r0 += block) {
      const int64_t rc = std::min(block, n - r0);
      chunk_logits(p, rows, w, r0, rc, count, student_logits.data(), teacher_logits.data());
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < rc; ++i) {
        const auto r = static_cast<size_t>(r0 + i);
        const float student_shift = lse[rows.index[r]];
        const float teacher_shift = teacher_lse[rows.index[r]];
        float* s = student_logits.data() + i * count;
        const float* t = teacher_logits.data() + i * count;
        float* q = teacher_p.data() + i * count;
        std::copy_n(t, count, q);
        exp_shifted_in_place(q, count, teacher_shift);
        double kl = 0;
        for (int64_t j = 0; j < count; ++j) {
          kl += double{q[j]} * ((t[j] - teacher_shift) - (s[j] - student_shift));
        }
        row_kl[r] += kl;
        if (!gradients) continue;
        exp_shifted_in_place(s, count, student_shift);
        for (int64_t j = 0; j < count; ++j) s[j] = scale * (s[j] - q[j]);
      }
      if (!gradients) continue;
      // dx_block += dlogits @ w;  dweight[v0:] += dlogits^T @ x_block.
      if (dx) {
        gemm(rc, p.C, count, 1.0f, {student_logits.data(), count, 0, false},
             {w.student, p.C, 0, false}, v0 == 0 ? 0.0f : 1.0f, dx_rows.data() + r0 * p.C, p.C);
      }
      if (dweight) {
        gemm(count, p.C, rc, 1.0f, {student_logits.data(), count, 0, true},
             {rows.x.data() + r0 * p.C, p.C, 0, false}, 1.0f, dweight + v0 * p.C, p.C);
      }
    }
  }
  if (dx) scatter_rows(rows.index, dx_rows, p.C, dx);
  double total = 0;
  for (const double value : row_kl) total += value;
  const double tau = p.temperature;
  return static_cast<float>(tau * tau * total / static_cast<double>(n));
}

}  // namespace retune::ops::cpu
