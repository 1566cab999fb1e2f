// What every CUDA kernel file shares (built only with RETUNE_CUDA): the stream kernels run on
// (the current device's, core/cuda/runtime.h) and launch checks. Kernels take device pointers
// (Tensor::device_data) and sizes, like the CPU kernels in ops/cpu; the public ops in ops/*.cpp
// check the arguments and dispatch on the tensors' device.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "core/cuda/runtime.h"

namespace retune::ops::cuda {

// The current device's stream: every kernel launches on it.
inline cudaStream_t stream() {
  return retune::cuda::stream();
}

// Blocks of `threads` that cover n items (at least one block).
inline unsigned blocks_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks > 0 ? blocks : 1);
}

// Throws, naming the kernel, when its launch failed (bad configuration, no device).
inline void check_launch(const char* kernel) {
  retune::cuda::check(cudaGetLastError(), kernel);
}

}  // namespace retune::ops::cuda
