#include "adapters/ssf_linear.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "adapters/linear_adapter_checks.h"
#include "core/error.h"
#include "core/random_tensor.h"
#include "ops/add.h"
#include "ops/arg_checks.h"
#include "ops/column_scale.h"
#include "ops/matmul.h"

namespace retune::adapters {

std::shared_ptr<SsfPair> SsfPair::make(int64_t width, bool shift, double std, uint64_t seed) {
  auto pair = std::make_shared<SsfPair>();
  pair->scale = normal_tensor({width}, seed, 1.0, std);
  pair->scale_grad = Tensor::zeros({width}, DType::f32);
  if (shift) {
    pair->shift = normal_tensor({width}, seed + 1, 0.0, std);
    pair->shift_grad = Tensor::zeros({width}, DType::f32);
  }
  return pair;
}

void SsfPair::move_to(Device device) {
  for (Tensor* t : {&scale, &scale_grad, &shift, &shift_grad}) {
    if (t->defined()) *t = t->to(device);
  }
}

SsfLinear::SsfLinear(Tensor weight, Tensor bias, std::shared_ptr<SsfPair> output,
                     std::shared_ptr<SsfPair> input)
    : weight_(std::move(weight)),
      bias_(std::move(bias)),
      output_(std::move(output)),
      input_(std::move(input)) {
  const char* op = "SsfLinear";
  check_frozen_weight(op, weight_);
  out_ = weight_.size(0);
  in_ = weight_.size(1);
  if (bias_.defined()) ops::check_tensor(op, "bias", bias_, DType::f32, {out_}, Device::cpu());
  RETUNE_CHECK(output_ || input_, "{}: neither an output nor an input pair", op);
  RETUNE_CHECK(!output_ || output_->width() == out_, "{}: an output pair of width {}, expected {}",
               op, output_ ? output_->width() : 0, out_);
  RETUNE_CHECK(!input_ || input_->width() == in_, "{}: an input pair of width {}, expected {}", op,
               input_ ? input_->width() : 0, in_);
}

void SsfLinear::apply(const Tensor& x, const Tensor& z) const {
  run("SsfLinear::apply", x, z, nullptr);
}

void SsfLinear::forward(const Tensor& x, const Tensor& z) {
  Tensor kept;
  run("SsfLinear::forward", x, z, &kept);
  kept_ = std::move(kept);
  rows_ = x.size(0);
}

void SsfLinear::run(const char* op, const Tensor& x, const Tensor& z, Tensor* kept) const {
  const Device device = (output_ ? output_ : input_)->scale.device();
  check_activations(op, x, z, in_, out_, device);
  if (input_) {
    const Tensor scaled = Tensor::empty(x.shape(), DType::f32, device);
    ops::scale_columns(x, input_->scale, input_->shift, Tensor(), scaled, false);
    ops::matmul_forward(scaled, weight_, z, {.trans_b = true});
  }
  if (!output_) return;
  if (kept) *kept = Tensor::empty(z.shape(), DType::f32, device);
  ops::scale_linear_output(z, bias_, output_->scale, output_->shift, kept ? *kept : Tensor());
}

Tensor SsfLinear::backward(const Tensor& x, const Tensor& dz, const Tensor& dx,
                           bool accumulate_dx) {
  const char* op = "SsfLinear::backward";
  RETUNE_CHECK(rows_ > 0, "{}: no forward() to differentiate", op);
  const int64_t N = std::exchange(rows_, 0);
  const Tensor kept = std::exchange(kept_, Tensor());
  const Device device = (output_ ? output_ : input_)->scale.device();
  check_gradients(op, x, dz, dx, N, in_, out_, device);
  Tensor base = dz;  // the gradient of z' (before the output pair)
  if (output_) {
    ops::add_column_products(dz, kept, Tensor(), output_->scale_grad);
    if (output_->shift.defined()) ops::bias_add_backward(dz, output_->shift_grad);
    base = Tensor::empty(dz.shape(), DType::f32, device);
    ops::scale_columns(dz, output_->scale, Tensor(), Tensor(), base, false);
  }
  if (!input_) {
    if (dx.defined() && !accumulate_dx) dx.fill(0.0);
    return base;
  }
  const Tensor g = Tensor::empty({N, in_}, DType::f32, device);  // dL/d(γ_n ⊙ x + β_n)
  ops::matmul_forward(base, weight_, g);
  ops::add_column_products(x, g, Tensor(), input_->scale_grad);
  if (input_->shift.defined()) ops::bias_add_backward(g, input_->shift_grad);
  // The adapter's path (γ_n - 1) g; the model adds the base product's d' W = g.
  if (dx.defined()) ops::scale_columns(g, input_->scale, Tensor(), g, dx, accumulate_dx);
  return base;
}

void SsfLinear::move_to(Device device, const Tensor& weight, const Tensor& bias) {
  check_moved_weights("SsfLinear::move_to", weight, bias, weight_, bias_, device);
  for (const SsfPair* pair : {output_.get(), input_.get()}) {
    RETUNE_CHECK(!pair || pair->scale.device() == device,
                 "SsfLinear::move_to: a pair is on {}, expected {} (SsfPair::move_to first)",
                 device_name(pair ? pair->scale.device() : device), device_name(device));
  }
  weight_ = weight;
  bias_ = bias;
  kept_ = Tensor();
  rows_ = 0;
}

Tensor SsfLinear::merged_weight() const {
  std::vector<float> w = weight_.to_f32_vector();  // [O, I] row-major
  if (output_) {
    const float* scale = output_->scale.data<float>();
    for (int64_t o = 0; o < out_; ++o) {
      for (int64_t i = 0; i < in_; ++i) w[o * in_ + i] *= scale[o];
    }
  }
  return Tensor::from_vector<float>({out_, in_}, DType::f32, w);
}

Tensor SsfLinear::merged_bias(bool with_input_shift) const {
  std::vector<double> b(static_cast<size_t>(out_), 0.0);
  if (bias_.defined()) {
    const std::vector<float> bias = bias_.to_f32_vector();
    b.assign(bias.begin(), bias.end());
  }
  if (with_input_shift && input_ && input_->shift.defined()) {
    const std::vector<float> w = weight_.to_f32_vector();
    const float* shift = input_->shift.data<float>();
    for (int64_t o = 0; o < out_; ++o) {
      double sum = 0;
      for (int64_t i = 0; i < in_; ++i) sum += static_cast<double>(w[o * in_ + i]) * shift[i];
      b[o] += sum;
    }
  }
  std::vector<float> merged(b.size());
  const float* scale = output_ ? output_->scale.data<float>() : nullptr;
  const float* shift = output_ && output_->shift.defined() ? output_->shift.data<float>() : nullptr;
  for (size_t o = 0; o < b.size(); ++o) {
    merged[o] = static_cast<float>(b[o] * (scale ? scale[o] : 1.0) + (shift ? shift[o] : 0.0));
  }
  return Tensor::from_vector<float>({out_}, DType::f32, merged);
}

}  // namespace retune::adapters
