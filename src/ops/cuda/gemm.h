// The GPU's matrix products (built with RETUNE_CUDA): cuBLASLt with bf16 inputs and f32
// accumulation, on the current device's stream.
#pragma once

#include <cstdint>
#include <span>

#include "core/dtype.h"
#include "ops/cuda/kept_operands.h"

namespace retune::ops::cuda {

// One operand on the device: matrix i of the batch starts at element i * batch_stride of data
// (0: shared by every batch item); element (r, c) of the stored (untransposed) matrix is at
// r * ld + c. f32, bf16 or f16. version: the Storage::version of the bytes, or 0 when unknown.
struct GemmOperand {
  const void* data;
  DType dtype;
  int64_t ld;
  int64_t batch_stride;
  bool trans;
  uint64_t version = 0;
};

// The product's output on the device: matrix i of the batch starts at element i * batch_stride
// of data, element (r, c) at r * ld + c. f32 or bf16.
struct GemmOutput {
  void* data;
  DType dtype;
  int64_t ld;
  int64_t batch_stride;
};

// out_i = alpha * op(a_i) @ op(b_i) + beta * out_i for i < batch: op(a_i) [M, K], op(b_i) [K, N],
// out_i [M, N]. f32 and f16 operands are rounded to bf16 first (one pass each); bf16 ones are
// read as they are. The products accumulate in f32 (CUBLAS_COMPUTE_32F), which a bf16 out is
// rounded from once (after adding beta times its old value). With beta = 0, out is never read.
//
// An operand with a known version keeps its bf16 copy for later products of the same bytes
// (ops/cuda/kept_operands.h): a layer's input feeds several projections and their adapters, a
// gradient the adapter's and the base weight's products, an adapter's weights the forward and
// the backward.
void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha, const GemmOperand& a,
                  const GemmOperand& b, float beta, const GemmOutput& out);

// A contiguous f32 matrix [rows, cols] on the device, its storage at `version` (non-zero).
struct F32Matrix {
  const float* data;
  int64_t rows;
  int64_t cols;
  uint64_t version;
};

// Makes and keeps the bf16 copy of each matrix that has none kept, as the products keep theirs
// (the same key), in a few launches for all of them (bf16_pack.h's pack_bf16_arrays) instead of
// one in each product that reads a matrix first. Copies of kLargeOperandBytes or more are left
// to the products: the large tier keeps too few to hold them until then. So are the matrices
// after the first kPreparedOperandBudget bytes of copies (the matrices in the order their
// products come): the small tier drops its oldest copies past its budget, and would drop
// prepared ones before their products read them.
constexpr size_t kPreparedOperandBudget = kSmallOperandBudget / 2;
void keep_bf16_copies(std::span<const F32Matrix> matrices);

}  // namespace retune::ops::cuda
