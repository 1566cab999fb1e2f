// What the GPU's fused output heads (cross_entropy_head.h, kl_divergence_head.h) share: the row
// blocks their logits are made in, the head's weight as their products read it, and the products
// of the logits' gradients. Built with RETUNE_CUDA.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/tensor.h"
#include "ops/cuda/gemm.h"

namespace retune::ops::cuda {

inline constexpr size_t kLogitBytes = size_t{256} << 20;  // f32 logits of one row block
inline constexpr int64_t kMinRowBlock = 2048;

// The rows of a block of N rows whose logits over a vocabulary of V are made at once, into
// `buffers` f32 [rows, V] scratch buffers: kLogitBytes in all, or more to hold kMinRowBlock /
// buffers rows of a large vocabulary (a block of few rows would leave dx's product,
// [rows, V] x [V, C], too few output tiles to fill the GPU); at most N (and at least 1).
int64_t head_row_block(int64_t N, int64_t V, int buffers);

// A head's weight [V, C] (Hugging Face layout) on the device for its products: a bf16 one as it
// is; an f32 or f16 one (a trained head) rounded to bf16 once, here, instead of by each product
// of each row block.
class HeadWeight {
 public:
  HeadWeight(const void* weight, DType dtype, int64_t V, int64_t C, Device device);
  // The weight [V, C] as a product's operand, transposed (x weight^T: the logits) or not
  // (dlogits weight: dx).
  GemmOperand operand(bool trans) const;

 private:
  Tensor packed_;  // bf16 [V, C] when the weight is not bf16
  const void* data_;
  DType dtype_;
  int64_t C_;
};

// The products of a row block's logit gradients, dlogits bf16 [rows, V] (row-major): dx [rows, C] =
// dlogits weight (overwritten) and dweight [V, C] += dlogits^T x_block (x_block [rows, C], the
// block's rows of x); each skipped when null.
void add_head_gradients(const uint16_t* dlogits, int64_t rows, int64_t V, int64_t C,
                        const HeadWeight& weight, const GemmOperand& x_block, float* dx,
                        float* dweight);

}  // namespace retune::ops::cuda
