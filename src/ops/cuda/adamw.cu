#include "ops/cuda/adamw.h"
#include "ops/cuda/tensor_batches.cuh"

namespace retune::ops::cuda {
namespace {

using Batch = ItemBatch<AdamWTensor, kAdamWTensorsPerLaunch>;

__global__ void adamw_kernel(Batch batch) {
  const AdamWTensor& t = batch.items[blockIdx.y];
  const cpu::AdamWScalars& s = t.scalars;
  for_each_element(t.n, [&](int64_t i) {
    const float g = t.grad[i];
    const float mi = s.beta1 * t.m[i] + s.one_minus_beta1 * g;
    const float vi = s.beta2 * t.v[i] + s.one_minus_beta2 * g * g;
    t.m[i] = mi;
    t.v[i] = vi;
    const float denom = sqrtf(vi) / s.bias_correction2_sqrt + s.eps;
    t.param[i] = t.param[i] * s.decay - s.step_size * (mi / denom);
  });
}

}  // namespace

void adamw_steps(std::span<const AdamWTensor> tensors) {
  launch_in_batches<kAdamWTensorsPerLaunch>(tensors, adamw_kernel, "adamw_step");
}

}  // namespace retune::ops::cuda
