#include "ops/cpu/gemm.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "ops/cpu/narrow_gemm.h"

namespace retune::ops::cpu {
namespace {

// out = alpha * op(a) @ op(b) + beta * out when M or N is 1, as a matrix-vector product:
// OpenBLAS's sgemm packs the whole matrix operand first, which doubles the memory traffic of
// the single-row products of decoding.
void gemv(int64_t M, int64_t N, int64_t K, float alpha, const float* a, const GemmOperand& a_form,
          const float* b, const GemmOperand& b_form, float beta, float* out, int64_t ldo) {
  const bool row = M == 1;  // else N == 1: a column
  // y = alpha * A x + beta * y with A the matrix operand as stored, x the vector operand.
  const GemmOperand& matrix = row ? b_form : a_form;
  const float* matrix_data = row ? b : a;
  const float* x = row ? a : b;
  // The matrix is op(b) [K, N] for a row (A = op(b)^T), op(a) [M, K] for a column (A = op(a)).
  const bool transpose = row ? !matrix.trans : matrix.trans;
  const int64_t rows = row ? (matrix.trans ? N : K) : (matrix.trans ? K : M);
  const int64_t cols = row ? (matrix.trans ? K : N) : (matrix.trans ? M : K);
  // The vector's stride: a row of op(a) [1, K] or a column of op(b) [K, 1].
  const int64_t incx = row ? (a_form.trans ? a_form.ld : 1) : (b_form.trans ? 1 : b_form.ld);
  const int64_t length = row ? N : M;
  const int64_t incy = row ? 1 : ldo;
  // beta = 0 must not read out (it may hold NaN); OpenBLAS scales y by beta instead.
  if (beta == 0.0f) {
    for (int64_t i = 0; i < length; ++i) out[i * incy] = 0.0f;
  }
  cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, static_cast<int>(rows),
              static_cast<int>(cols), alpha, matrix_data, static_cast<int>(matrix.ld), x,
              static_cast<int>(incx), beta, out, static_cast<int>(incy));
}

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// <x, y> over n floats: 16 partial sums (vectorised), added in a fixed order.
float dot(const float* x, const float* y, int64_t n) {
  constexpr int64_t kLanes = 16;
  float partial[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes) {
    for (int64_t j = 0; j < kLanes; ++j) partial[j] += x[k + j] * y[k + j];
  }
  for (; k < n; ++k) partial[0] += x[k] * y[k];
  float sum = 0.0f;
  for (const float value : partial) sum += value;
  return sum;
}

// One f32 line per batch item (x_i: K floats at x + i * x_batch_stride; a decode step) times the
// 16-bit operand's `lines` lines of K elements: out_i[l * out_stride] = alpha * <x_i, line l> +
// beta * out_i[l * out_stride]. Memory-bound, so the 16-bit matrix is streamed once, a stored row
// at a time converted into L1-resident scratch that is used at once (a block converted whole and
// then handed to sgemv leaves memory idle while sgemv runs: up to 2x slower). Lines stored as rows
// (nn.Linear weights, lm_head) are dot products, the rows spread over the threads; lines stored
// as columns (GPT-2's Conv1D [in, out]) are sums of x_i[k] * row k over chunks of the rows. Each
// output is summed in one order whatever the threads, so the result does not depend on their
// number.
void widening_gemv(int64_t batch, int64_t lines, int64_t K, float alpha, const float* x,
                   int64_t x_batch_stride, const GemmOperand16& half, bool half_rows, float beta,
                   float* out, int64_t out_stride, int64_t out_batch_stride) {
  const auto store = [&](int64_t i, int64_t l, float sum) {
    float& o = out[i * out_batch_stride + l * out_stride];
    o = alpha * sum + (beta == 0.0f ? 0.0f : beta * o);
  };
  if (half_rows) {
#pragma omp parallel
    {
      std::vector<float> row(static_cast<size_t>(K));  // not thread_local: that is slower here
#pragma omp for schedule(static)
      for (int64_t l = 0; l < lines; ++l) {
        widen_to_f32(half, l, l + 1, 0, K, row.data());
        for (int64_t i = 0; i < batch; ++i) store(i, l, dot(x + i * x_batch_stride, row.data(), K));
      }
    }
    return;
  }
  // Lines stored as columns: each of up to 16 chunks of the rows (fixed by K) is summed by one
  // thread into its own partial sums, which are then added in chunk order.
  const int64_t per_chunk = std::max<int64_t>(ceil_div(K, 16), 1);
  const int64_t chunks = ceil_div(K, per_chunk);
  std::vector<float> partial(static_cast<size_t>(chunks * batch * lines), 0.0f);
#pragma omp parallel
  {
    std::vector<float> row(static_cast<size_t>(lines));
#pragma omp for schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
      for (int64_t k = c * per_chunk; k < std::min(K, (c + 1) * per_chunk); ++k) {
        widen_to_f32(half, k, k + 1, 0, lines, row.data());
        for (int64_t i = 0; i < batch; ++i) {
          const float xk = x[i * x_batch_stride + k];
          float* sum = partial.data() + (c * batch + i) * lines;
          for (int64_t l = 0; l < lines; ++l) sum[l] += xk * row[static_cast<size_t>(l)];
        }
      }
    }
#pragma omp for schedule(static)
    for (int64_t l = 0; l < lines; ++l) {
      for (int64_t i = 0; i < batch; ++i) {
        float sum = 0.0f;
        for (int64_t c = 0; c < chunks; ++c)
          sum += partial[static_cast<size_t>((c * batch + i) * lines + l)];
        store(i, l, sum);
      }
    }
  }
}

// How a product with a 16-bit operand is cut into tiles: blocks of `per_block` lines of the 16-bit
// operand (its rows of op(a) or columns of op(b), K elements each) times chunks of `per_chunk`
// lines of the f32 operand (the other dim of out), the tiles numbered block by block.
struct Tiling {
  int64_t per_block, blocks;
  int64_t per_chunk, chunks;
  int64_t tiles() const { return blocks * chunks; }
};

// At least kMinTiles tiles where there are that many lines, so that the threads share the work.
// A product of few f32 lines (a batched decode step) is memory-bound: one chunk, and blocks small
// enough (kFewFloats) to be read back from L2 after their conversion. A product of many lines is
// compute-bound: each sgemm packs its chunk of the f32 operand and its block anew, and chunks of
// kChunkLines with blocks of up to kBlockFloats keep that within ~10% of one f32 sgemm over all
// of out (at the SmolLM2-135M shapes on one thread; fewer, larger tiles would leave threads idle).
Tiling plan_tiles(int64_t lines, int64_t other_lines, int64_t K, int64_t batch) {
  constexpr int64_t kMinTiles = 8;
  constexpr int64_t kFewLines = 16;
  constexpr int64_t kFewFloats = int64_t{1} << 15;  // 128 KiB
  constexpr int64_t kChunkLines = 256;
  constexpr int64_t kBlockFloats = int64_t{1} << 20;  // 4 MiB
  const bool few = batch * other_lines <= kFewLines;
  Tiling t{};
  t.per_chunk = few ? other_lines : std::min(other_lines, kChunkLines);
  t.chunks = ceil_div(other_lines, t.per_chunk);
  const int64_t budget =
      std::max<int64_t>((few ? kFewFloats : kBlockFloats) / std::max<int64_t>(K, 1), 1);
  t.per_block = ceil_div(
      lines, std::min(lines, std::max(ceil_div(lines, budget), ceil_div(kMinTiles, t.chunks))));
  t.blocks = ceil_div(lines, t.per_block);
  return t;
}

// gemm_batched with the 16-bit operand `half` as a (half_is_a) or b, `other` the f32 operand.
void gemm_batched_widening(bool half_is_a, int64_t batch, int64_t M, int64_t N, int64_t K,
                           float alpha, const GemmOperand& other, const GemmOperand16& half,
                           float beta, float* out, int64_t ldo, int64_t out_batch_stride) {
  if (M == 0 || N == 0) return;
  const int64_t lines = half_is_a ? M : N;
  const int64_t other_lines = half_is_a ? N : M;
  // Lines are stored rows for a plain a or a transposed b, stored columns otherwise.
  const bool half_rows = half_is_a != half.trans;
  const bool other_rows = half_is_a == other.trans;
  if (other_lines == 1) {
    // The f32 lines, gathered contiguous where they are strided (stored columns).
    std::vector<float> gathered;
    if (!other_rows) {
      gathered.resize(static_cast<size_t>(batch * K));
      for (int64_t i = 0; i < batch; ++i) {
        for (int64_t k = 0; k < K; ++k) {
          gathered[static_cast<size_t>(i * K + k)] =
              other.data[i * other.batch_stride + k * other.ld];
        }
      }
    }
    widening_gemv(batch, lines, K, alpha, other_rows ? other.data : gathered.data(),
                  other_rows ? other.batch_stride : K, half, half_rows, beta, out,
                  half_is_a ? ldo : 1, out_batch_stride);
    return;
  }
  const Tiling t = plan_tiles(lines, other_lines, K, batch);
#pragma omp parallel
  {
    thread_local std::vector<float> scratch;
    const auto scratch_floats = static_cast<size_t>(t.per_block * K);
    if (scratch.size() < scratch_floats) scratch.resize(scratch_floats);
    int64_t converted = -1;  // the block in scratch
#pragma omp for schedule(static)
    for (int64_t tile = 0; tile < t.tiles(); ++tile) {
      const int64_t block = tile / t.chunks;
      const int64_t l0 = block * t.per_block;
      const int64_t count = std::min(t.per_block, lines - l0);
      if (block != converted) {
        if (half_rows) {
          widen_to_f32(half, l0, l0 + count, 0, K, scratch.data());
        } else {
          widen_to_f32(half, 0, K, l0, l0 + count, scratch.data());
        }
        converted = block;
      }
      const GemmOperand widened{scratch.data(), std::max<int64_t>(half_rows ? K : count, 1), 0,
                                half.trans};
      const int64_t c0 = tile % t.chunks * t.per_chunk;
      const int64_t chunk = std::min(t.per_chunk, other_lines - c0);
      for (int64_t i = 0; i < batch; ++i) {
        const float* other_i =
            other.data + i * other.batch_stride + (other_rows ? c0 * other.ld : c0);
        const GemmOperand chunk_operand{other_i, other.ld, 0, other.trans};
        float* out_i = out + i * out_batch_stride;
        if (half_is_a) {
          gemm(count, chunk, K, alpha, widened, chunk_operand, beta, out_i + l0 * ldo + c0, ldo);
        } else {
          gemm(chunk, count, K, alpha, chunk_operand, widened, beta, out_i + c0 * ldo + l0, ldo);
        }
      }
    }
  }
}

}  // namespace

void widen_to_f32(const GemmOperand16& m, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                  float* out) {
  const auto width = static_cast<size_t>(c1 - c0);
  for (int64_t r = r0; r < r1; ++r) {
    const uint16_t* in = m.data + r * m.ld + c0;
    float* row = out + (r - r0) * (c1 - c0);
    if (m.dtype == DType::bf16) {
      convert_bf16_to_f32(in, row, width);
    } else {
      convert_f16_to_f32(in, row, width);
    }
  }
}

void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand a,
                  GemmOperand b, float beta, float* out, int64_t ldo, int64_t out_batch_stride) {
  if (M == 0 || N == 0) return;
  auto one = [&](int64_t i) {
    const float* a_i = a.data + i * a.batch_stride;
    const float* b_i = b.data + i * b.batch_stride;
    if ((M == 1 || N == 1) && K > 0) {
      gemv(M, N, K, alpha, a_i, a, b_i, b, beta, out + i * out_batch_stride, ldo);
      return;
    }
    if (narrow_gemm_applies(M, N, K)) {
      const auto strided = [](const float* data, const GemmOperand& x) {
        return x.trans ? StridedMatrix{data, 1, x.ld} : StridedMatrix{data, x.ld, 1};
      };
      narrow_gemm(M, N, K, alpha, strided(a_i, a), strided(b_i, b), beta,
                  out + i * out_batch_stride, ldo);
      return;
    }
    cblas_sgemm(CblasRowMajor, a.trans ? CblasTrans : CblasNoTrans,
                b.trans ? CblasTrans : CblasNoTrans, static_cast<int>(M), static_cast<int>(N),
                static_cast<int>(K), alpha, a_i, static_cast<int>(a.ld), b_i,
                static_cast<int>(b.ld), beta, out + i * out_batch_stride, static_cast<int>(ldo));
  };
  // A product under ~4 MFLOP does not keep several threads busy; spread the batch instead.
  const bool parallel_batch =
      batch > 1 && 2 * M * N * K < (int64_t{1} << 22) && out_batch_stride != 0;
  if (parallel_batch) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < batch; ++i) one(i);
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i);
  }
}

void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand a,
                  GemmOperand16 b, float beta, float* out, int64_t ldo, int64_t out_batch_stride) {
  gemm_batched_widening(false, batch, M, N, K, alpha, a, b, beta, out, ldo, out_batch_stride);
}

void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand16 a,
                  GemmOperand b, float beta, float* out, int64_t ldo, int64_t out_batch_stride) {
  gemm_batched_widening(true, batch, M, N, K, alpha, b, a, beta, out, ldo, out_batch_stride);
}

}  // namespace retune::ops::cpu
