#include "ops/cuda/cross_entropy_head.h"

#include <algorithm>

#include "core/cuda/runtime.h"
#include "core/tensor.h"
#include "ops/cuda/cross_entropy_rows.h"
#include "ops/cuda/gemm.h"
#include "ops/cuda/head_weight.h"

namespace retune::ops::cuda {

void cross_entropy_head(const cpu::HeadProblem& p, int64_t labelled, const HeadOutputs& out) {
  int index = 0;
  retune::cuda::check(cudaGetDevice(&index), "reading the current device");
  const Device device = Device::cuda(index);
  // With no labelled row every gradient term is 0: dx is zeroed and dweight keeps its value, as
  // on the CPU, without the products (which would read x: a NaN there would reach dweight as
  // 0 * NaN).
  const bool grads = (out.dx || out.dweight) && labelled > 0;
  if (labelled == 0 && out.dx && p.N > 0) {
    retune::cuda::zero_bytes(out.dx, static_cast<size_t>(p.N * p.C) * sizeof(float));
  }
  const int64_t rows = head_row_block(p.N, p.V, 1);
  const Tensor logits = Tensor::empty({rows, p.V}, DType::f32, device);
  const Tensor dlogits = grads ? Tensor::empty({rows, p.V}, DType::bf16, device) : Tensor();
  const Tensor row_loss = Tensor::empty({std::max<int64_t>(p.N, 1)}, DType::f32, device);
  const float grad_scale = labelled > 0 ? out.dloss / static_cast<float>(labelled) : 0.0f;
  const HeadWeight weight(p.weight, p.weight_dtype, p.V, p.C, device);
  for (int64_t n0 = 0; n0 < p.N; n0 += rows) {
    const int64_t R = std::min(rows, p.N - n0);
    const GemmOperand x_block{p.x + n0 * p.C, DType::f32, p.C, 0, false};
    // logits [R, V] = x_block weight^T
    gemm_batched(1, R, p.V, p.C, 1.0f, x_block, weight.operand(true), 0.0f,
                 {logits.mutable_device_data<float>(), DType::f32, p.V, 0});
    uint16_t* dlogits_data = grads ? dlogits.mutable_device_data<uint16_t>() : nullptr;
    cross_entropy_rows(logits.device_data<float>(), R, p.V, p.labels + n0, out.lse + n0,
                       out.lse_given, row_loss.mutable_device_data<float>() + n0, grad_scale,
                       dlogits_data);
    if (grads) {
      add_head_gradients(dlogits_data, R, p.V, p.C, weight, x_block,
                         out.dx ? out.dx + n0 * p.C : nullptr, out.dweight);
    }
  }
  if (out.loss) {
    const float mean = labelled > 0 ? 1.0f / static_cast<float>(labelled) : 0.0f;
    sum_row_losses(row_loss.device_data<float>(), p.N, mean, out.loss);
  }
}

}  // namespace retune::ops::cuda
