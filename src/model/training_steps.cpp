#include "model/training_steps.h"

namespace retune::model {

void add_into(const Tensor& to, const Tensor& from) {
  float* out = to.mutable_data<float>();
  const float* in = from.data<float>();
  for (int64_t i = 0; i < to.numel(); ++i) out[i] += in[i];
}

void add_column_sums(const Tensor& dy, const Tensor& bias_grad) {
  const int64_t rows = dy.size(0);
  const int64_t width = dy.size(1);
  const float* g = dy.data<float>();
  float* out = bias_grad.mutable_data<float>();
  for (int64_t n = 0; n < rows; ++n) {
    for (int64_t o = 0; o < width; ++o) out[o] += g[n * width + o];
  }
}

}  // namespace retune::model
