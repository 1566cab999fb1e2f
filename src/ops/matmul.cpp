#include "ops/matmul.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "core/profile.h"
#include "ops/arg_checks.h"
#include "ops/cpu/gemm.h"
#include "ops/cpu/widened.h"
#if RETUNE_CUDA
#include "ops/cuda/gemm.h"
#endif

namespace retune::ops {

namespace {

// A 2-D or 3-D tensor seen as a batch of stored matrices [rows, cols]: f32, or a 2-D bf16/f16.
struct MatrixBatch {
  int64_t batch;  // -1 when the tensor is 2-D (shared by every batch item)
  int64_t rows;
  int64_t cols;
  DType dtype;
  const void* data;
  int64_t ld;
  int64_t batch_stride;
  bool trans;
  uint64_t version;  // the storage's (Storage::version)
  bool half() const { return dtype != DType::f32; }
  cpu::GemmOperand f32_operand() const {
    return {static_cast<const float*>(data), ld, batch_stride, trans};
  }
  cpu::GemmOperand16 half_operand() const {
    return {static_cast<const uint16_t*>(data), dtype, ld, trans};
  }
#if RETUNE_CUDA
  cuda::GemmOperand device_operand() const {
    return {data, dtype, ld, batch_stride, trans, version};
  }
#endif
};

MatrixBatch as_matrices(const char* op, const Tensor& t, const char* what, bool trans) {
  RETUNE_CHECK(t.defined(), "{}: {} is undefined", op, what);
  RETUNE_CHECK(t.rank() == 2 || t.rank() == 3, "{}: {} must be 2-D or 3-D, got {}", op, what,
               t.describe());
  const int r = t.rank();
  const bool half = t.dtype() == DType::bf16 || t.dtype() == DType::f16;
  RETUNE_CHECK(t.dtype() == DType::f32 || (half && r == 2),
               "{}: {} must be f32, or bf16/f16 when 2-D (a shared frozen weight), got {}", op,
               what, t.describe());
  MatrixBatch m{
      r == 3 ? t.size(0) : -1, t.size(r - 2), t.size(r - 1), t.dtype(), nullptr, 0, 0, trans,
      t.storage()->version()};
  if (t.numel() != 0) {
    m.data = half ? static_cast<const void*>(t.device_data<uint16_t>()) : t.device_data<float>();
  }
  // Stored row-major with a leading dimension, or a transposed view of such a matrix.
  const int64_t row_stride = t.stride(r - 2);
  const int64_t col_stride = t.stride(r - 1);
  if (col_stride == 1 || m.cols <= 1) {
    m.ld = std::max<int64_t>({row_stride, m.cols, 1});
  } else if (row_stride == 1 || m.rows <= 1) {
    m.ld = std::max<int64_t>({col_stride, m.rows, 1});
    m.trans = !trans;
  } else {
    fail("{}: {} {} has no unit stride in its last two dims; make it contiguous", op, what,
         t.describe());
  }
  constexpr int64_t kBlasMax = std::numeric_limits<int>::max();  // BLAS takes sizes as int
  RETUNE_CHECK(m.rows <= kBlasMax && m.cols <= kBlasMax && m.ld <= kBlasMax,
               "{}: {} {} has a size or stride over {}, beyond BLAS", op, what, t.describe(),
               kBlasMax);
  if (r == 3) m.batch_stride = t.stride(0);
  return m;
}

// op(a) @ op(b), checked: the operands as matrices and the sizes of the product.
struct Product {
  MatrixBatch a;
  MatrixBatch b;
  int64_t batch;  // -1: both operands 2-D
  int64_t M, N, K;
  Shape out_shape() const { return batch >= 0 ? Shape{batch, M, N} : Shape{M, N}; }
};

Product plan_product(const char* op, const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  Product p{as_matrices(op, a, "a", trans_a), as_matrices(op, b, "b", trans_b), 0, 0, 0, 0};
  p.M = trans_a ? p.a.cols : p.a.rows;
  p.K = trans_a ? p.a.rows : p.a.cols;
  p.N = trans_b ? p.b.rows : p.b.cols;
  const int64_t Kb = trans_b ? p.b.cols : p.b.rows;
  RETUNE_CHECK(p.K == Kb, "{}: inner sizes differ: a {} (trans {}) and b {} (trans {})", op,
               a.describe(), trans_a, b.describe(), trans_b);
  RETUNE_CHECK(p.a.batch < 0 || p.b.batch < 0 || p.a.batch == p.b.batch,
               "{}: batch sizes differ: a {} and b {}", op, a.describe(), b.describe());
  RETUNE_CHECK(a.device() == b.device(), "{}: a is on {}, b on {}", op, device_name(a.device()),
               device_name(b.device()));
  p.batch = std::max(p.a.batch, p.b.batch);
  return p;
}

}  // namespace

void matmul_forward(const Tensor& a, const Tensor& b, const Tensor& out, MatmulOptions options) {
  const profile::OpScope timed(profile::Op::matmul);
  const char* op = "matmul_forward";
  const Product p = plan_product(op, a, b, options.trans_a, options.trans_b);
  const profile::Stage stage([&] {
    return fmt::format("matmul {}{}{} x {}{}{} -> {}{}", dtype_name(a.dtype()), a.shape().str(),
                       options.trans_a ? "^T" : "", dtype_name(b.dtype()), b.shape().str(),
                       options.trans_b ? "^T" : "", dtype_name(out.dtype()),
                       options.beta != 0.0f ? " +=" : "");
  });
  check_output(op, "out", out, f32_or_bf16(out), p.out_shape(), a.device());
  check_disjoint(op, "out", out, "a", a);
  check_disjoint(op, "out", out, "b", b);
  check_backend(op, a.device());
  if (out.numel() == 0) return;
  if (p.K == 0) {
    // An empty sum: out = beta * out (cuBLASLt does not promise it for K = 0).
    RETUNE_CHECK(options.beta == 0.0f || options.beta == 1.0f,
                 "{}: a product over an empty inner dimension (K = 0) takes beta 0 or 1, got {}",
                 op, options.beta);
    if (options.beta == 0.0f) out.fill(0.0);
    return;
  }
#if RETUNE_CUDA
  if (!a.device().is_cpu()) {
    cuda::gemm_batched(std::max<int64_t>(p.batch, 1), p.M, p.N, p.K, options.alpha,
                       p.a.device_operand(), p.b.device_operand(), options.beta,
                       {mutable_activation_data(out), out.dtype(), std::max<int64_t>(p.N, 1),
                        p.batch >= 0 ? p.M * p.N : 0});
    return;
  }
#endif
  // The CPU's kernels write f32 and take one 16-bit operand at most: a bf16 output is computed in
  // f32 and rounded, and of two 16-bit operands b is widened first (both only where a model runs
  // its activations in bf16, as on a GPU; a test does so on the CPU).
  if (out.dtype() != DType::f32) {
    const Tensor wide = options.beta != 0.0f ? cpu::widened(out) : cpu::f32_output(out);
    matmul_forward(a, b, wide, options);
    cpu::store_rounded(out, wide);
    return;
  }
  if (p.a.half() && p.b.half()) {
    matmul_forward(a, cpu::widened(b), out, options);
    return;
  }
  // One call for every operand type: the 16-bit one (if any) is converted by the kernel.
  const auto run = [&](const auto& a_operand, const auto& b_operand) {
    cpu::gemm_batched(std::max<int64_t>(p.batch, 1), p.M, p.N, p.K, options.alpha, a_operand,
                      b_operand, options.beta, out.mutable_data<float>(), std::max<int64_t>(p.N, 1),
                      p.batch >= 0 ? p.M * p.N : 0);
  };
  if (p.a.half()) {
    run(p.a.half_operand(), p.b.f32_operand());
  } else if (p.b.half()) {
    run(p.a.f32_operand(), p.b.half_operand());
  } else {
    run(p.a.f32_operand(), p.b.f32_operand());
  }
}

namespace {

// The gradients of one unbatched or equally batched product.
void matmul_backward_plain(const Tensor& dout, const Tensor& a, const Tensor& b,
                           const MatmulGrads& grads, bool trans_a, bool trans_b) {
  // out = A' B' with A' = op(a), B' = op(b):  dA' = dout B'^T,  dB' = A'^T dout.
  if (grads.da.defined()) {
    const float beta = grads.accumulate_da ? 1.0f : 0.0f;
    if (!trans_a) {
      matmul_forward(dout, b, grads.da, {false, !trans_b, 1.0f, beta});
    } else {
      matmul_forward(b, dout, grads.da, {trans_b, true, 1.0f, beta});
    }
  }
  if (grads.db.defined()) {
    const float beta = grads.accumulate_db ? 1.0f : 0.0f;
    if (!trans_b) {
      matmul_forward(a, dout, grads.db, {!trans_a, false, 1.0f, beta});
    } else {
      matmul_forward(dout, a, grads.db, {true, trans_a, 1.0f, beta});
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
  const profile::OpScope timed(profile::Op::matmul);
  const char* op = "matmul_backward";
  const Product p = plan_product(op, a, b, trans_a, trans_b);
  check_tensor(op, "dout", dout, f32_or_bf16(dout), p.out_shape(), a.device());
  if (grads.da.defined()) {
    check_output(op, "da", grads.da, f32_or_bf16(grads.da), a.shape(), a.device());
  }
  if (grads.db.defined()) {
    check_output(op, "db", grads.db, f32_or_bf16(grads.db), b.shape(), a.device());
  }
  check_disjoint(op, "da", grads.da, "db", grads.db);
  for (const auto& [name, grad] : {std::pair{"da", &grads.da}, std::pair{"db", &grads.db}}) {
    check_disjoint(op, name, *grad, "a", a);
    check_disjoint(op, name, *grad, "b", b);
    check_disjoint(op, name, *grad, "dout", dout);
  }
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
    // The shared operand's gradient is the sum over the batch items (0 for an empty batch).
    const int64_t batch = a_shared ? b.size(0) : a.size(0);
    const Tensor& shared_grad = a_shared ? grads.da : grads.db;
    const bool accumulate_shared = a_shared ? grads.accumulate_da : grads.accumulate_db;
    if (batch == 0 && shared_grad.defined() && !accumulate_shared) shared_grad.fill(0.0);
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

void prepare_product_operands(std::span<const Tensor> matrices) {
  const char* op = "prepare_product_operands";
  if (matrices.empty()) return;
  const Device device = matrices.front().defined() ? matrices.front().device() : Device::cpu();
  for (size_t i = 0; i < matrices.size(); ++i) {
    const Tensor& m = matrices[i];
    RETUNE_CHECK(m.defined() && m.dtype() == DType::f32 && m.rank() == 2 && m.is_contiguous() &&
                     m.device() == device,
                 "{}: matrix {} is {}, expected a contiguous 2-D f32 tensor on {}", op, i,
                 m.defined() ? m.describe() : "undefined", device_name(device));
  }
  if (device.is_cpu()) return;
  check_backend(op, device);
#if RETUNE_CUDA
  std::vector<cuda::F32Matrix> kept;
  for (const Tensor& m : matrices) {
    kept.push_back({m.device_data<float>(), m.size(0), m.size(1), m.storage()->version()});
  }
  cuda::keep_bf16_copies(kept);
#endif
}

}  // namespace retune::ops
