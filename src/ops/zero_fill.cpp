#include "ops/zero_fill.h"

#include <fmt/format.h>

#include <vector>

#include "core/profile.h"

#if RETUNE_CUDA
#include "ops/cuda/zero_fill.h"
#endif

namespace retune::ops {

void zero_fill(std::span<const Tensor> tensors) {
  const profile::Stage stage([&] { return fmt::format("zero_fill x{}", tensors.size()); });
#if RETUNE_CUDA
  std::vector<cuda::ZeroFillTensor> on_device;
#endif
  for (const Tensor& t : tensors) {
#if RETUNE_CUDA
    if (t.defined() && !t.device().is_cpu() && t.dtype() == DType::f32 && t.is_contiguous()) {
      on_device.push_back({t.mutable_device_data<float>(), t.numel()});
      continue;
    }
#endif
    t.fill(0.0);
  }
#if RETUNE_CUDA
  cuda::zero_fill(on_device);
#endif
}

}  // namespace retune::ops
