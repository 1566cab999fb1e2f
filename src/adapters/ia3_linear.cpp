#include "adapters/ia3_linear.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "adapters/linear_adapter_checks.h"
#include "core/error.h"
#include "ops/arg_checks.h"
#include "ops/column_scale.h"
#include "ops/matmul.h"

namespace retune::adapters {
namespace {

constexpr const char* kName = "ia3_l";

}  // namespace

Ia3Linear::Ia3Linear(Tensor weight, Tensor bias, bool feedforward)
    : weight_(std::move(weight)), bias_(std::move(bias)), feedforward_(feedforward) {
  const char* op = "Ia3Linear";
  check_frozen_weight(op, weight_);
  out_ = weight_.size(0);
  in_ = weight_.size(1);
  if (bias_.defined()) ops::check_tensor(op, "bias", bias_, DType::f32, {out_}, Device::cpu());
  l_ = Tensor::empty(feedforward_ ? Shape{1, in_} : Shape{out_, 1}, DType::f32);
  l_.fill(1.0);
  l_grad_ = Tensor::zeros(l_.shape(), DType::f32);
}

void Ia3Linear::apply(const Tensor& x, const Tensor& z) const {
  run("Ia3Linear::apply", x, z, nullptr);
}

void Ia3Linear::forward(const Tensor& x, const Tensor& z) {
  Tensor pre;
  run("Ia3Linear::forward", x, z, &pre);
  pre_ = std::move(pre);
  rows_ = x.size(0);
}

void Ia3Linear::run(const char* op, const Tensor& x, const Tensor& z, Tensor* pre) const {
  const Device device = l_.device();
  check_activations(op, x, z, in_, out_, device);
  if (feedforward_) {
    const Tensor scaled = Tensor::empty(x.shape(), DType::f32, device);
    ops::scale_columns(x, l_.reshape({in_}), Tensor(), Tensor(), scaled, false);
    ops::matmul_forward(scaled, weight_, z, {.trans_b = true});
    return;
  }
  if (pre) *pre = Tensor::empty(z.shape(), DType::f32, device);
  ops::scale_linear_output(z, bias_, l_.reshape({out_}), Tensor(), pre ? *pre : Tensor());
}

Tensor Ia3Linear::backward(const Tensor& x, const Tensor& dz, const Tensor& dx,
                           bool accumulate_dx) {
  const char* op = "Ia3Linear::backward";
  RETUNE_CHECK(rows_ > 0, "{}: no forward() to differentiate", op);
  const int64_t N = std::exchange(rows_, 0);
  const Tensor pre = std::exchange(pre_, Tensor());
  const Device device = l_.device();
  check_gradients(op, x, dz, dx, N, in_, out_, device);
  if (!feedforward_) {
    ops::add_column_products(dz, pre, Tensor(), l_grad_.reshape({out_}));
    if (dx.defined() && !accumulate_dx) dx.fill(0.0);
    const Tensor base = Tensor::empty(dz.shape(), DType::f32, device);  // dz * l
    ops::scale_columns(dz, l_.reshape({out_}), Tensor(), Tensor(), base, false);
    return base;
  }
  const Tensor g = Tensor::empty({N, in_}, DType::f32, device);  // dL/d(x * l)
  ops::matmul_forward(dz, weight_, g);
  ops::add_column_products(x, g, Tensor(), l_grad_.reshape({in_}));
  // The adapter's path (l - 1) g; the model adds the base product's dz W = g.
  if (dx.defined()) ops::scale_columns(g, l_.reshape({in_}), Tensor(), g, dx, accumulate_dx);
  return dz;
}

void Ia3Linear::move_to(Device device, const Tensor& weight, const Tensor& bias) {
  check_moved_weights("Ia3Linear::move_to", weight, bias, weight_, bias_, device);
  weight_ = weight;
  bias_ = bias;
  l_ = l_.to(device);
  l_grad_ = l_grad_.to(device);
  pre_ = Tensor();
  rows_ = 0;
}

std::vector<AdapterParameter> Ia3Linear::parameters() const {
  return {{kName, l_, l_grad_}};
}

Tensor Ia3Linear::merged_weight() const {
  std::vector<float> w = weight_.to_f32_vector();  // [O, I] row-major
  const float* l = l_.data<float>();
  for (int64_t o = 0; o < out_; ++o) {
    for (int64_t i = 0; i < in_; ++i) w[o * in_ + i] *= l[feedforward_ ? i : o];
  }
  return Tensor::from_vector<float>({out_, in_}, DType::f32, w);
}

Tensor Ia3Linear::merged_bias() const {
  if (feedforward_ || !bias_.defined()) return Tensor();
  std::vector<float> b = bias_.to_f32_vector();
  const float* l = l_.data<float>();
  for (int64_t o = 0; o < out_; ++o) b[o] *= l[o];
  return Tensor::from_vector<float>({out_}, DType::f32, b);
}

}  // namespace retune::adapters
