#include "ops/cuda/kl_divergence_head.h"

#include <algorithm>
#include <optional>

#include "core/cuda/runtime.h"
#include "core/tensor.h"
#include "ops/cuda/cross_entropy_rows.h"
#include "ops/cuda/gemm.h"
#include "ops/cuda/head_weight.h"
#include "ops/cuda/kl_divergence_rows.h"

namespace retune::ops::cuda {

void kl_divergence_head(const cpu::KlHeadProblem& p, int64_t scored, const KlHeadOutputs& out) {
  int index = 0;
  retune::cuda::check(cudaGetDevice(&index), "reading the current device");
  const Device device = Device::cuda(index);
  if (scored == 0) {
    // Nothing to score: the loss, dx and the lse are 0 and dweight keeps its value, as on the
    // CPU, without a product (which would read x: a NaN there would reach dweight as 0 * NaN).
    const auto zero = [&](float* data, int64_t count) {
      if (data && count > 0)
        retune::cuda::zero_bytes(data, static_cast<size_t>(count) * sizeof(float));
    };
    if (!out.lse_given) {
      zero(out.lse, p.N);
      zero(out.teacher_lse, p.N);
    }
    zero(out.dx, p.N * p.C);
    zero(out.loss, 1);
    return;
  }
  const bool grads = out.dx || out.dweight;
  const int64_t rows = head_row_block(p.N, p.V, 2);
  const Tensor student = Tensor::empty({rows, p.V}, DType::f32, device);
  const Tensor teacher = Tensor::empty({rows, p.V}, DType::f32, device);
  const Tensor dlogits = grads ? Tensor::empty({rows, p.V}, DType::bf16, device) : Tensor();
  const Tensor row_kl = Tensor::empty({std::max<int64_t>(p.N, 1)}, DType::f32, device);
  // d loss / d (logits_s / τ) = τ² (p_s - p_t) / n, and the logits' own 1/τ: τ (p_s - p_t) / n.
  const float tau = p.temperature;
  const float grad_scale = out.dloss * tau / static_cast<float>(scored);
  const HeadWeight weight(p.weight, p.weight_dtype, p.V, p.C, device);
  // The teacher's head is often the student's own (a frozen head): then one copy serves both.
  const bool shared = p.teacher_weight == p.weight && p.teacher_weight_dtype == p.weight_dtype;
  std::optional<HeadWeight> teacher_weight;
  if (!shared) teacher_weight.emplace(p.teacher_weight, p.teacher_weight_dtype, p.V, p.C, device);
  const GemmOperand teacher_operand = (shared ? weight : *teacher_weight).operand(true);
  for (int64_t n0 = 0; n0 < p.N; n0 += rows) {
    const int64_t R = std::min(rows, p.N - n0);
    const GemmOperand x_block{p.x + n0 * p.C, DType::f32, p.C, 0, false};
    const GemmOperand teacher_block{p.teacher_x + n0 * p.C, DType::f32, p.C, 0, false};
    // student [R, V] = x_block weight^T / τ;  teacher [R, V] = teacher_block teacher_weight^T / τ
    gemm_batched(1, R, p.V, p.C, 1.0f / tau, x_block, weight.operand(true), 0.0f,
                 {student.mutable_device_data<float>(), DType::f32, p.V, 0});
    gemm_batched(1, R, p.V, p.C, 1.0f / tau, teacher_block, teacher_operand, 0.0f,
                 {teacher.mutable_device_data<float>(), DType::f32, p.V, 0});
    uint16_t* dlogits_data = grads ? dlogits.mutable_device_data<uint16_t>() : nullptr;
    kl_divergence_rows(student.device_data<float>(), teacher.device_data<float>(), R, p.V,
                       p.labels + n0, out.lse + n0, out.teacher_lse + n0, out.lse_given,
                       row_kl.mutable_device_data<float>() + n0, grad_scale, dlogits_data);
    if (grads) {
      add_head_gradients(dlogits_data, R, p.V, p.C, weight, x_block,
                         out.dx ? out.dx + n0 * p.C : nullptr, out.dweight);
    }
  }
  if (out.loss) {
    sum_row_losses(row_kl.device_data<float>(), p.N, tau * tau / static_cast<float>(scored),
                   out.loss);
  }
}

}  // namespace retune::ops::cuda
