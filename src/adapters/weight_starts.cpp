#include "adapters/weight_starts.h"

#include <cmath>

#include "core/error.h"
#include "linalg/qr.h"
#include "linalg/randomized_svd.h"
#include "linalg/svd.h"

namespace retune::adapters {
namespace {

void check_rank(const char* method, const Tensor& weight, int64_t r) {
  RETUNE_CHECK(r >= 1 && r <= std::min(weight.size(0), weight.size(1)),
               "{} needs a rank in [1, min(out, in)] = [1, {}], got r = {}", method,
               std::min(weight.size(0), weight.size(1)), r);
}

}  // namespace

LoraStart pissa_start(const Tensor& weight, int64_t r, float scaling, int64_t niter,
                      uint64_t seed) {
  check_rank("PiSSA", weight, r);
  const linalg::Svd svd =
      niter > 0 ? linalg::randomized_svd(weight, r, niter, seed) : linalg::thin_svd(weight);
  const int64_t out = weight.size(0), in = weight.size(1);
  LoraStart start{.a = Tensor::empty({r, in}, DType::f32),
                  .b = Tensor::empty({out, r}, DType::f32)};
  const float* s = svd.s.data<float>();
  const float* u = svd.u.data<float>();    // [O, k]
  const float* vt = svd.vt.data<float>();  // [k, I]
  const int64_t k = svd.s.size(0);
  float* a = start.a.mutable_data<float>();
  float* b = start.b.mutable_data<float>();
  for (int64_t j = 0; j < r; ++j) {
    const float root = std::sqrt(s[j] / scaling);
    for (int64_t i = 0; i < in; ++i) a[j * in + i] = root * vt[j * in + i];
    for (int64_t o = 0; o < out; ++o) b[o * r + j] = u[o * k + j] * root;
  }
  return start;
}

LoraStart olora_start(const Tensor& weight, int64_t r) {
  check_rank("OLoRA", weight, r);
  const linalg::Qr qr = linalg::reduced_qr(weight);
  return {.a = qr.r.slice(0, 0, r).clone(), .b = qr.q.slice(1, 0, r).clone()};
}

}  // namespace retune::adapters
