#include "core/rng.h"
#include "ops/cuda/dropout.h"
#include "ops/cuda/element_types.cuh"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

// p = 0 keeps every element (a conversion between dtypes).
template <typename In, typename Out>
__global__ void dropout_kernel(const In* in, int64_t n, float p, float scale, uint64_t seed,
                               uint64_t offset, Out* out) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const bool keep =
        p == 0.0f || retune::counter_uniform(seed, offset + static_cast<uint64_t>(i)) >= p;
    store_f32(out, i, keep ? load_f32(in, i) * scale : 0.0f);
  }
}

}  // namespace

void dropout(const void* in, DType in_dtype, int64_t n, float p, uint64_t seed, uint64_t offset,
             void* out, DType out_dtype) {
  if (n == 0) return;
  const size_t nbytes = static_cast<size_t>(n) * dtype_size(out_dtype);
  if (p == 0.0f && in_dtype == out_dtype) {
    if (out != in) {
      retune::cuda::check(cudaMemcpyAsync(out, in, nbytes, cudaMemcpyDeviceToDevice, stream()),
                          "dropout (copy)");
    }
    return;
  }
  if (p == 1.0f) {
    retune::cuda::zero_bytes(out, nbytes);
    return;
  }
  const float scale = 1.0f / (1.0f - p);
  with_element_type(in_dtype, [&](auto in_type) {
    using In = decltype(in_type);
    with_element_type(out_dtype, [&](auto out_type) {
      using Out = decltype(out_type);
      dropout_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(
          static_cast<const In*>(in), n, p, scale, seed, offset, static_cast<Out*>(out));
    });
  });
  check_launch("dropout");
}

}  // namespace retune::ops::cuda
