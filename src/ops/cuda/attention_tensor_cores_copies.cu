// PaddedCopies (attention_tensor_cores.cuh): q, k, v and dout as bf16 rows padded to kD.
#include "ops/cuda/attention_tensor_cores.cuh"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda::attention {
namespace tensor_cores {
namespace {

constexpr int kCopyThreads = 256;

// out[row, d] = bf16(in[row * D + d]) for d < D, 0 for D <= d < kD ([rows, D] f32 to
// [rows, kD] bf16); one thread per pair of d.
__global__ void pad_to_bf16(const float* in, int64_t rows, int64_t D, int64_t kD, mma::bf16* out) {
  const int64_t pair = blockIdx.x * int64_t{kCopyThreads} + threadIdx.x;
  if (pair >= rows * kD / 2) return;
  const int64_t row = pair / (kD / 2);
  const int64_t d = 2 * (pair % (kD / 2));
  const float* from = in + row * D;
  const float lo = d < D ? from[d] : 0.0f;
  const float hi = d + 1 < D ? from[d + 1] : 0.0f;
  *reinterpret_cast<__nv_bfloat162*>(out + row * kD + d) = __floats2bfloat162_rn(lo, hi);
}

// Fills `to` with the padded copy of `rows` rows of D floats.
void pad(const float* from, int64_t rows, int64_t D, int kD, mma::bf16* to) {
  if (rows == 0) return;
  pad_to_bf16<<<blocks_for(rows * kD / 2, kCopyThreads), kCopyThreads, 0, stream()>>>(from, rows, D,
                                                                                      kD, to);
  check_launch("attention (bf16 copies of its inputs)");
}

}  // namespace

PaddedCopies::PaddedCopies(const cpu::AttentionInputs& in, int kD, const float* dout)
    : q_(in.batch * in.tokens * in.q_heads * kD),
      k_(in.batch * in.kv_tokens * in.kv_heads * kD),
      v_(in.batch * in.kv_tokens * in.kv_heads * kD),
      dout_(dout ? in.batch * in.tokens * in.q_heads * kD : 0) {
  const int64_t query_rows = in.batch * in.tokens * in.q_heads;
  pad(in.q, query_rows, in.head_dim, kD, q_.data());
  if (dout) pad(dout, query_rows, in.head_dim, kD, dout_.data());
  // Keys and values: rows [0, past + T) of each batch row's S; all of them at once when they are
  // all (training: past = 0, S = T).
  const int64_t seen_rows = (in.past + in.tokens) * in.kv_heads;
  const int64_t batch_rows = in.kv_tokens * in.kv_heads;
  const bool whole = seen_rows == batch_rows;
  for (int64_t b = 0; b < (whole ? 1 : in.batch); ++b) {
    const int64_t rows = whole ? in.batch * batch_rows : seen_rows;
    pad(in.k + b * batch_rows * in.head_dim, rows, in.head_dim, kD,
        k_.data() + b * batch_rows * kD);
    pad(in.v + b * batch_rows * in.head_dim, rows, in.head_dim, kD,
        v_.data() + b * batch_rows * kD);
  }
}

PaddedRows PaddedCopies::rows() const {
  return {q_.data(), k_.data(), v_.data(), dout_.data()};
}

}  // namespace tensor_cores
}  // namespace retune::ops::cuda::attention
