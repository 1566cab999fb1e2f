#include "ops/cuda/head_weight.h"

#include <algorithm>

#include "core/error.h"
#include "ops/cuda/bf16_pack.h"

namespace retune::ops::cuda {

int64_t head_row_block(int64_t N, int64_t V, int buffers) {
  RETUNE_CHECK(V >= 1 && buffers >= 1, "head_row_block: V is {} and buffers {}, expected >= 1", V,
               buffers);
  const auto per_row = static_cast<size_t>(V) * sizeof(float) * static_cast<size_t>(buffers);
  const auto fitting = static_cast<int64_t>(kLogitBytes / per_row);
  return std::min(std::max(fitting, kMinRowBlock / buffers), std::max<int64_t>(N, 1));
}

HeadWeight::HeadWeight(const void* weight, DType dtype, int64_t V, int64_t C, Device device)
    : data_(weight), dtype_(dtype), C_(C) {
  if (dtype == DType::bf16) return;
  packed_ = Tensor::empty({V, C}, DType::bf16, device);
  pack_bf16(weight, dtype, V, C, C, 0, V * C, packed_.mutable_device_data<uint16_t>());
  data_ = packed_.device_data<uint16_t>();
  dtype_ = DType::bf16;
}

GemmOperand HeadWeight::operand(bool trans) const {
  return {data_, dtype_, C_, 0, trans};
}

void add_head_gradients(const uint16_t* dlogits, int64_t rows, int64_t V, int64_t C,
                        const HeadWeight& weight, const GemmOperand& x_block, float* dx,
                        float* dweight) {
  if (dx) {
    gemm_batched(1, rows, C, V, 1.0f, {dlogits, DType::bf16, V, 0, false}, weight.operand(false),
                 0.0f, {dx, DType::f32, C, 0});
  }
  if (dweight) {
    gemm_batched(1, V, C, rows, 1.0f, {dlogits, DType::bf16, V, 0, true}, x_block, 1.0f,
                 {dweight, DType::f32, C, 0});
  }
}

}  // namespace retune::ops::cuda
