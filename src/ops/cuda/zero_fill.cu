#include "ops/cuda/tensor_batches.cuh"
#include "ops/cuda/zero_fill.h"

namespace retune::ops::cuda {
namespace {

using Batch = ItemBatch<ZeroFillTensor, kZeroFillTensorsPerLaunch>;

__global__ void zero_fill_kernel(Batch batch) {
  const ZeroFillTensor& t = batch.items[blockIdx.y];
  for_each_element(t.n, [&](int64_t i) { t.data[i] = 0.0f; });
}

}  // namespace

void zero_fill(std::span<const ZeroFillTensor> tensors) {
  launch_in_batches<kZeroFillTensorsPerLaunch>(tensors, zero_fill_kernel, "zero_fill");
}

}  // namespace retune::ops::cuda
