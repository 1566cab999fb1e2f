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
                               uint64_t offset, bool vectors, Out* out) {
  // Element i of the output, given the input's value x there.
  const auto dropped = [&](int64_t i, float x) {
    const bool keep =
        p == 0.0f || retune::counter_uniform(seed, offset + static_cast<uint64_t>(i)) >= p;
    return keep ? x * scale : 0.0f;
  };
  for_elements(
      n, vectors,
      [&](int64_t i) {
        float x[kVector];
        load_vector(in, i, x);
#pragma unroll
        for (int k = 0; k < kVector; ++k) x[k] = dropped(i + k, x[k]);
        store_vector(out, i, x);
      },
      [&](int64_t i) { store_f32(out, i, dropped(i, load_f32(in, i))); });
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
      const bool vectors = vector_aligned({in, out});
      dropout_kernel<<<elementwise_blocks(n, vectors, kThreads), kThreads, 0, stream()>>>(
          static_cast<const In*>(in), n, p, scale, seed, offset, vectors, static_cast<Out*>(out));
    });
  });
  check_launch("dropout");
}

}  // namespace retune::ops::cuda
