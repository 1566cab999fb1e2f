#include "adapters/corda_start.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "adapters/linear_input_taps.h"
#include "core/error.h"
#include "linalg/covariance.h"
#include "linalg/inverse.h"
#include "linalg/svd.h"
#include "ops/matmul.h"

namespace retune::adapters {

std::map<std::string, Tensor> corda_covariances(model::CausalLm& model,
                                                const std::vector<LoraTarget>& targets,
                                                const std::vector<CalibrationBatch>& batches) {
  std::vector<model::LinearSite> sites;
  std::vector<linalg::Covariance> sums;
  for (const LoraTarget& target : targets) {
    sites.push_back(target.site);
    sums.emplace_back(target.site.in_features());
  }
  LinearInputTaps taps(model, sites);
  for (const CalibrationBatch& batch : batches) {
    const int64_t length = batch.length();
    taps.run(batch, [&](size_t site, const Tensor& x) {
      for (int64_t row = 0; row < batch.rows(); ++row) {
        int64_t tokens = 0;
        while (tokens < length && batch.attended[static_cast<size_t>(row * length + tokens)]) {
          ++tokens;
        }
        if (tokens > 0) {
          sums[site].add_scaled_by_max(x.slice(0, row * length, row * length + tokens));
        }
      }
    });
  }
  std::map<std::string, Tensor> covariances;
  for (size_t i = 0; i < targets.size(); ++i) {
    covariances.emplace(targets[i].site.name, sums[i].mean());
  }
  return covariances;
}

LoraStart corda_start(const Tensor& weight, const Tensor& covariance, int64_t r, float scaling,
                      CordaMode mode) {
  const int64_t out = weight.size(0), in = weight.size(1);
  RETUNE_CHECK(r >= 1 && r <= std::min(out, in),
               "CorDA needs a rank in [1, min(out, in)] = [1, {}], got r = {}", std::min(out, in),
               r);
  RETUNE_CHECK(covariance.shape() == Shape({in, in}), "CorDA: covariance {} for a weight {}",
               covariance.describe(), weight.describe());
  // Damping until the inverse is accurate enough.
  double mean_diagonal = 0;
  const float* c = covariance.data<float>();
  for (int64_t i = 0; i < in; ++i) mean_diagonal += c[i * in + i];
  mean_diagonal /= static_cast<double>(in);
  Tensor damped, inverse;
  for (double damp = 0.01;; damp *= 2) {
    damped = covariance.clone();
    float* d = damped.mutable_data<float>();
    for (int64_t i = 0; i < in; ++i) d[i * in + i] += static_cast<float>(mean_diagonal * damp);
    inverse = linalg::inverse(damped);
    Tensor product = Tensor::empty({in, in}, DType::f32);
    ops::matmul_forward(damped, inverse, product);
    const float* p = product.data<float>();
    double error = 0;
    for (int64_t i = 0; i < in; ++i) {
      for (int64_t j = 0; j < in; ++j) {
        const double e = p[i * in + j] - (i == j ? 1.0 : 0.0);
        error += e * e;
      }
    }
    if (std::sqrt(error) < 0.05) break;
    RETUNE_CHECK(damp < 1e6, "CorDA: the calibration covariance cannot be inverted");
  }
  Tensor product = Tensor::empty({out, in}, DType::f32);
  ops::matmul_forward(weight, damped, product);
  const linalg::Svd svd = linalg::thin_svd(product);
  Tensor v_tilde_t = Tensor::empty(svd.vt.shape(), DType::f32);  // [k, I] = V̂^T C_f^-1
  ops::matmul_forward(svd.vt, inverse, v_tilde_t);
  const int64_t k = svd.s.size(0);
  const int64_t first = mode == CordaMode::ipm ? 0 : k - r;
  LoraStart start{.a = Tensor::empty({r, in}, DType::f32),
                  .b = Tensor::empty({out, r}, DType::f32)};
  const float* s = svd.s.data<float>();
  const float* u = svd.u.data<float>();
  const float* v = v_tilde_t.data<float>();
  float* a = start.a.mutable_data<float>();
  float* b = start.b.mutable_data<float>();
  for (int64_t j = 0; j < r; ++j) {
    const float root = std::sqrt(s[first + j] / scaling);
    for (int64_t i = 0; i < in; ++i) a[j * in + i] = v[(first + j) * in + i] * root;
    for (int64_t o = 0; o < out; ++o) b[o * r + j] = u[o * k + first + j] * root;
  }
  return start;
}

}  // namespace retune::adapters
