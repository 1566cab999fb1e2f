#include "ops/matmul.h"

#include <algorithm>

#include "ops/cpu/gemm.h"

namespace retune::ops {

namespace {

// A 2-D or 3-D f32 tensor seen as a batch of stored matrices [rows, cols].
struct MatrixBatch {
  int64_t batch;  // 0 when the tensor is 2-D (shared by every batch item)
  int64_t rows;
  int64_t cols;
  cpu::GemmOperand operand;
};

MatrixBatch as_matrices(const Tensor& t, const char* what, bool trans) {
  RETUNE_CHECK(t.defined(), "matmul: {} is undefined", what);
  RETUNE_CHECK(t.dtype() == DType::f32, "matmul: {} must be f32, got {}", what, t.describe());
  RETUNE_CHECK(t.rank() == 2 || t.rank() == 3, "matmul: {} must be 2-D or 3-D, got {}", what,
               t.describe());
  const int r = t.rank();
  MatrixBatch m{r == 3 ? t.size(0) : 0, t.size(r - 2), t.size(r - 1), {}};
  // Stored row-major with a leading dimension, or a transposed view of such a matrix.
  const int64_t row_stride = t.stride(r - 2);
  const int64_t col_stride = t.stride(r - 1);
  const float* data = t.numel() == 0 ? nullptr : t.data<float>();
  if (col_stride == 1 || m.cols <= 1) {
    m.operand = {data, std::max<int64_t>({row_stride, m.cols, 1}), 0, trans};
  } else if (row_stride == 1 || m.rows <= 1) {
    m.operand = {data, std::max<int64_t>({col_stride, m.rows, 1}), 0, !trans};
  } else {
    fail("matmul: {} {} has no unit stride in its last two dims; make it contiguous", what,
         t.describe());
  }
  if (r == 3) m.operand.batch_stride = t.stride(0);
  return m;
}

}  // namespace

void matmul(const Tensor& a, const Tensor& b, const Tensor& out, MatmulOptions options) {
  const MatrixBatch ma = as_matrices(a, "a", options.trans_a);
  const MatrixBatch mb = as_matrices(b, "b", options.trans_b);
  const int64_t M = options.trans_a ? ma.cols : ma.rows;
  const int64_t K = options.trans_a ? ma.rows : ma.cols;
  const int64_t Kb = options.trans_b ? mb.cols : mb.rows;
  const int64_t N = options.trans_b ? mb.rows : mb.cols;
  RETUNE_CHECK(K == Kb, "matmul: inner sizes differ: a {} (trans {}) and b {} (trans {})",
               a.describe(), options.trans_a, b.describe(), options.trans_b);
  RETUNE_CHECK(ma.batch == 0 || mb.batch == 0 || ma.batch == mb.batch,
               "matmul: batch sizes differ: a {} and b {}", a.describe(), b.describe());
  const int64_t batch = std::max(ma.batch, mb.batch);
  const Shape want = batch ? Shape{batch, M, N} : Shape{M, N};
  RETUNE_CHECK(out.shape() == want && out.dtype() == DType::f32,
               "matmul: out is {}, expected f32{}", out.describe(), want.str());
  RETUNE_CHECK(out.is_contiguous(), "matmul: out {} must be contiguous", out.describe());
  RETUNE_CHECK(a.device() == out.device() && b.device() == out.device(),
               "matmul: operands on different devices");
  RETUNE_CHECK(out.device().is_cpu(), "matmul: no backend for {}", device_name(out.device()));
  if (out.numel() == 0) return;
  cpu::gemm_batched(std::max<int64_t>(batch, 1), M, N, K, options.alpha, ma.operand, mb.operand,
                    options.beta, out.mutable_data<float>(), std::max<int64_t>(N, 1),
                    batch ? M * N : 0);
}

namespace {

// The gradients of one unbatched or equally batched product.
void matmul_backward_plain(const Tensor& dout, const Tensor& a, const Tensor& b,
                           const MatmulGrads& grads, bool trans_a, bool trans_b) {
  // out = A' B' with A' = op(a), B' = op(b):  dA' = dout B'^T,  dB' = A'^T dout.
  if (grads.da.defined()) {
    const float beta = grads.accumulate_da ? 1.0f : 0.0f;
    if (!trans_a) {
      matmul(dout, b, grads.da, {false, !trans_b, 1.0f, beta});
    } else {
      matmul(b, dout, grads.da, {trans_b, true, 1.0f, beta});
    }
  }
  if (grads.db.defined()) {
    const float beta = grads.accumulate_db ? 1.0f : 0.0f;
    if (!trans_b) {
      matmul(a, dout, grads.db, {!trans_a, false, 1.0f, beta});
    } else {
      matmul(dout, a, grads.db, {true, trans_a, 1.0f, beta});
    }
  }
}

Tensor fold_batch(const Tensor& t) {
  return t.defined() ? t.reshape({t.size(0) * t.size(1), t.size(2)}) : t;
}

Tensor batch_item(const Tensor& t, int64_t i) {
  return t.defined() && t.rank() == 3 ? t.select(0, i) : t;
}

}  // namespace

void matmul_backward(const Tensor& dout, const Tensor& a, const Tensor& b, const MatmulGrads& grads,
                     bool trans_a, bool trans_b) {
  const bool a_shared = a.rank() == 2 && b.rank() == 3;
  const bool b_shared = b.rank() == 2 && a.rank() == 3;
  if (b_shared && !trans_a && a.is_contiguous() && dout.is_contiguous()) {
    // The linear-layer case: the batch folds into the rows of a and dout.
    matmul_backward_plain(
        fold_batch(dout), fold_batch(a), b,
        {fold_batch(grads.da), grads.db, grads.accumulate_da, grads.accumulate_db}, false, trans_b);
    return;
  }
  if (a_shared || b_shared) {
    // The shared operand's gradient is the sum over the batch items.
    const int64_t batch = a_shared ? b.size(0) : a.size(0);
    for (int64_t i = 0; i < batch; ++i) {
      const MatmulGrads item{batch_item(grads.da, i), batch_item(grads.db, i),
                             grads.accumulate_da || (a_shared && i > 0),
                             grads.accumulate_db || (b_shared && i > 0)};
      matmul_backward_plain(dout.select(0, i), batch_item(a, i), batch_item(b, i), item, trans_a,
                            trans_b);
    }
    return;
  }
  matmul_backward_plain(dout, a, b, grads, trans_a, trans_b);
}

}  // namespace retune::ops
