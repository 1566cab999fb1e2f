#include <cuda_fp16.h>

#include "ops/cuda/embedding.h"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/row_reduce.cuh"

namespace retune::ops::cuda {

namespace {

__device__ float to_f32(float value) {
  return value;
}

// bf16 is the upper half of an f32.
struct Bf16Bits {
  uint16_t bits;
};
__device__ float to_f32(Bf16Bits value) {
  return __uint_as_float(static_cast<uint32_t>(value.bits) << 16);
}

__device__ float to_f32(__half value) {
  return __half2float(value);
}

// One block per token; its threads stride over the channels.
template <typename Entry>
__global__ void embedding_forward_kernel(const int32_t* ids, const Entry* table, int64_t N,
                                         int64_t V, int64_t C, float* out) {
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const int64_t id = ids[n];
    const bool valid = 0 <= id && id < V;
    float* row = out + n * C;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      row[c] = valid ? to_f32(table[id * C + c]) : 0.0f;
    }
  }
}

__global__ void embedding_backward_kernel(const int32_t* ids, const float* dout, int64_t N,
                                          int64_t V, int64_t C, float* dtable) {
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const int64_t id = ids[n];
    if (id < 0 || id >= V) continue;
    const float* d = dout + n * C;
    float* row = dtable + id * C;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) atomicAdd(row + c, d[c]);
  }
}

template <typename Entry>
void launch_forward(const int32_t* ids, const void* table, int64_t N, int64_t V, int64_t C,
                    float* out) {
  embedding_forward_kernel<<<row_blocks(N), kRowThreads, 0, stream()>>>(
      ids, static_cast<const Entry*>(table), N, V, C, out);
  check_launch("embedding_forward");
}

}  // namespace

void embedding_forward(const int32_t* ids, const void* table, DType table_dtype, int64_t N,
                       int64_t V, int64_t C, float* out) {
  if (N == 0 || C == 0) return;
  if (table_dtype == DType::f32) {
    launch_forward<float>(ids, table, N, V, C, out);
  } else if (table_dtype == DType::bf16) {
    launch_forward<Bf16Bits>(ids, table, N, V, C, out);
  } else {
    launch_forward<__half>(ids, table, N, V, C, out);
  }
}

void embedding_backward(const int32_t* ids, const float* dout, int64_t N, int64_t V, int64_t C,
                        float* dtable) {
  if (N == 0 || C == 0) return;
  embedding_backward_kernel<<<row_blocks(N), kRowThreads, 0, stream()>>>(ids, dout, N, V, C,
                                                                         dtable);
  check_launch("embedding_backward");
}

}  // namespace retune::ops::cuda
