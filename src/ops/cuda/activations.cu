#include <numbers>

#include "ops/cuda/activations.h"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

constexpr auto kInvSqrt2 = static_cast<float>(1.0 / std::numbers::sqrt2);
constexpr auto kInvSqrt2Pi = static_cast<float>(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
constexpr auto kSqrt2OverPi = static_cast<float>(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);
constexpr float kCubic = 0.044715f;

// The elementwise maps, one per activation and direction (dout is unused by the forwards).
struct SiluForward {
  __device__ float operator()(float x, float) const { return x / (1.0f + expf(-x)); }
};

// silu'(x) = s (1 + x (1 - s)) with s = sigmoid(x).
struct SiluBackward {
  __device__ float operator()(float x, float dout) const {
    const float s = 1.0f / (1.0f + expf(-x));
    return dout * s * (1.0f + x * (1.0f - s));
  }
};

struct GeluForward {
  __device__ float operator()(float x, float) const {
    return 0.5f * x * (1.0f + erff(x * kInvSqrt2));
  }
};

// gelu'(x) = Phi(x) + x phi(x), the normal CDF and density.
struct GeluBackward {
  __device__ float operator()(float x, float dout) const {
    const float cdf = 0.5f * (1.0f + erff(x * kInvSqrt2));
    const float pdf = kInvSqrt2Pi * expf(-0.5f * x * x);
    return dout * (cdf + x * pdf);
  }
};

struct GeluTanhForward {
  __device__ float operator()(float x, float) const {
    const float u = kSqrt2OverPi * (x + kCubic * x * x * x);
    return 0.5f * x * (1.0f + tanhf(u));
  }
};

// With t = tanh(u): gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) du/dx.
struct GeluTanhBackward {
  __device__ float operator()(float x, float dout) const {
    const float x2 = x * x;
    const float t = tanhf(kSqrt2OverPi * (x + kCubic * x2 * x));
    const float du = kSqrt2OverPi * (1.0f + 3.0f * kCubic * x2);
    return dout * (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du);
  }
};

// out[i] = map(x[i], dout[i]) (dout null: the forwards, given 0).
template <typename Map>
__global__ void elementwise_kernel(const float* x, const float* dout, int64_t n, float* out) {
  const Map map;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = map(x[i], dout ? dout[i] : 0.0f);
  }
}

template <typename Map>
void launch(const float* x, const float* dout, int64_t n, float* out, const char* name) {
  if (n == 0) return;
  elementwise_kernel<Map><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(x, dout, n, out);
  check_launch(name);
}

}  // namespace

void silu_forward(const float* x, int64_t n, float* out) {
  launch<SiluForward>(x, nullptr, n, out, "silu_forward");
}

void silu_backward(const float* x, const float* dout, int64_t n, float* dx) {
  launch<SiluBackward>(x, dout, n, dx, "silu_backward");
}

void gelu_forward(const float* x, int64_t n, GeluApproximation approximation, float* out) {
  if (approximation == GeluApproximation::none) {
    launch<GeluForward>(x, nullptr, n, out, "gelu_forward");
  } else {
    launch<GeluTanhForward>(x, nullptr, n, out, "gelu_forward");
  }
}

void gelu_backward(const float* x, const float* dout, int64_t n, GeluApproximation approximation,
                   float* dx) {
  if (approximation == GeluApproximation::none) {
    launch<GeluBackward>(x, dout, n, dx, "gelu_backward");
  } else {
    launch<GeluTanhBackward>(x, dout, n, dx, "gelu_backward");
  }
}

}  // namespace retune::ops::cuda
