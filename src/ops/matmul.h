// Matrix product, optionally batched, either operand transposed.
//
//   out = alpha * op(a) @ op(b) + beta * out      op(x) = x or x^T (per the trans flags)
//
// a:   [M, K] or [batch, M, K]   ([K, M] / [batch, K, M] when trans_a)
// b:   [K, N] or [batch, K, N]   ([N, K] / [batch, N, K] when trans_b)
// out: [M, N] or [batch, M, N]   (3-D when either operand is)
// A 2-D operand is shared by every batch item. A linear layer y = x W^T is
// matmul_forward(x [B*T, C], W [OC, C], y [B*T, OC], {.trans_b = true}).
// out is f32 or bf16. a and b are f32, or 2-D bf16 or f16: a frozen weight, such as a bf16
// model's projection read straight from the mmapped file, or an activation a model keeps in bf16
// (the MLP's on a GPU). On the CPU one 16-bit operand is converted to f32 a block or a row at a
// time as the product needs it (ops/cpu/gemm.h), never as a whole; with two, b is converted
// first; a bf16 out is computed in f32 and rounded once (also with beta, which then reads the
// old out as it is stored). The GPU multiplies in bf16 with f32 accumulation (ops/cuda/gemm.h).
// Each matrix needs unit stride along one of its last two dims (row slices and transposed views
// are fine). Writes into `out` (caller-allocated; it may not alias a or b).
#pragma once

#include <span>

#include "core/tensor.h"

namespace retune::ops {

struct MatmulOptions {
  bool trans_a = false;
  bool trans_b = false;
  float alpha = 1.0f;
  float beta = 0.0f;  // 0: out is overwritten (its old contents are never read)
};

void matmul_forward(const Tensor& a, const Tensor& b, const Tensor& out,
                    MatmulOptions options = {});

// Gradients of out = op(a) @ op(b) given dout = dL/dout. `da`/`db` may be undefined Tensors:
// that gradient is skipped (a frozen weight costs nothing). With accumulate the gradient is
// added to what da/db hold (parameter gradients accumulate over micro-batches); otherwise it
// overwrites them. When b is shared (2-D) and a is batched, db sums over the batch. dout, da and
// db are f32 or bf16 (2-D, as for the forward's operands). A 16-bit operand's gradient is
// computed like an f32 one's (a bf16 activation's); a frozen weight's is simply not asked for.
struct MatmulGrads {
  Tensor da;
  Tensor db;
  bool accumulate_da = false;
  bool accumulate_db = false;
};
void matmul_backward(const Tensor& dout, const Tensor& a, const Tensor& b, const MatmulGrads& grads,
                     bool trans_a = false, bool trans_b = false);

// Readies f32 matrices (contiguous 2-D, on one device) for the products that will read them: on
// a GPU, rounds each to the bf16 copy its products would make and keep (ops/cuda/gemm.h), a few
// launches for all of them, where the products would each launch their own (an adapter's
// hundreds of small weights, once per step). Nothing on the CPU, whose products read f32 as it
// is. A matrix written afterwards is simply rounded again by its next product.
void prepare_product_operands(std::span<const Tensor> matrices);

}  // namespace retune::ops
