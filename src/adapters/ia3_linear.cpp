#include "adapters/ia3_linear.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "model/training_steps.h"
#include "ops/arg_checks.h"
#include "ops/matmul.h"

namespace retune::adapters {
namespace {

constexpr const char* kName = "ia3_l";

// grad[c] += sum over rows n of a[n, c] * b[n, c]; a, b f32 [N, C] contiguous, grad f32 [C].
// Each block of columns is summed by one thread, over the rows in order, in double.
void add_column_products(const Tensor& a, const Tensor& b, const Tensor& grad) {
  const int64_t N = a.size(0), C = a.size(1);
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* gp = grad.mutable_data<float>();
  constexpr int64_t kColumns = 64;
#pragma omp parallel for schedule(static)
  for (int64_t c0 = 0; c0 < C; c0 += kColumns) {
    const int64_t c1 = std::min(C, c0 + kColumns);
    double sums[kColumns] = {};
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t c = c0; c < c1; ++c) {
        sums[c - c0] += static_cast<double>(ap[n * C + c]) * bp[n * C + c];
      }
    }
    for (int64_t c = c0; c < c1; ++c) gp[c] += static_cast<float>(sums[c - c0]);
  }
}

// x * l, a new [N, I] tensor (l: I values, one per column).
Tensor scaled_columns(const Tensor& x, const float* l) {
  const int64_t N = x.size(0), I = x.size(1);
  Tensor out = Tensor::empty(x.shape(), DType::f32);
  const float* xp = x.data<float>();
  float* op = out.mutable_data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t i = 0; i < I; ++i) op[n * I + i] = xp[n * I + i] * l[i];
  }
  return out;
}

}  // namespace

Ia3Linear::Ia3Linear(Tensor weight, Tensor bias, bool feedforward)
    : weight_(std::move(weight)), bias_(std::move(bias)), feedforward_(feedforward) {
  const char* op = "Ia3Linear";
  RETUNE_CHECK(weight_.defined(), "{}: the weight is undefined, expected [O, I]", op);
  RETUNE_CHECK(weight_.rank() == 2 && dtype_is_float(weight_.dtype()) && weight_.device().is_cpu(),
               "{}: the weight is {}, expected a float [O, I] on cpu", op, weight_.describe());
  RETUNE_CHECK(weight_.stride(0) == 1 || weight_.stride(1) == 1,
               "{}: the weight {} has no unit stride in either dim", op, weight_.describe());
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
  ops::check_matrix(op, "x", x, fmt::format("[N, {}]", in_).c_str());
  ops::check_tensor(op, "x", x, DType::f32, {x.size(0), in_}, Device::cpu());
  ops::check_output(op, "z", z, DType::f32, {x.size(0), out_}, Device::cpu());
  ops::check_disjoint(op, "z", z, "x", x);
  const float* l = l_.data<float>();
  if (feedforward_) {
    ops::matmul_forward(scaled_columns(x, l), weight_, z, {.trans_b = true});
    return;
  }
  const int64_t N = x.size(0), O = out_;
  float* zp = z.mutable_data<float>();
  const float* b = bias_.defined() ? bias_.data<float>() : nullptr;
  float* kept = nullptr;
  if (pre) {
    *pre = Tensor::empty(z.shape(), DType::f32);
    kept = pre->mutable_data<float>();
  }
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < O; ++o) {
      const int64_t at = n * O + o;
      const float bias = b ? b[o] : 0.0f;
      const float y = zp[at] + bias;
      if (kept) kept[at] = y;
      zp[at] = y * l[o] - bias;
    }
  }
}

Tensor Ia3Linear::backward(const Tensor& x, const Tensor& dz, const Tensor& dx,
                           bool accumulate_dx) {
  const char* op = "Ia3Linear::backward";
  RETUNE_CHECK(rows_ > 0, "{}: no forward() to differentiate", op);
  const int64_t N = std::exchange(rows_, 0);
  const Tensor pre = std::exchange(pre_, Tensor());
  ops::check_tensor(op, "x", x, DType::f32, {N, in_}, Device::cpu());
  ops::check_tensor(op, "dz", dz, DType::f32, {N, out_}, Device::cpu());
  if (dx.defined()) {
    ops::check_output(op, "dx", dx, DType::f32, {N, in_}, Device::cpu());
    ops::check_disjoint(op, "dx", dx, "dz", dz);
  }
  const float* l = l_.data<float>();
  if (!feedforward_) {
    add_column_products(dz, pre, l_grad_);
    if (dx.defined() && !accumulate_dx) dx.fill(0.0);
    Tensor base = Tensor::empty(dz.shape(), DType::f32);
    const float* dzp = dz.data<float>();
    float* bp = base.mutable_data<float>();
    const int64_t O = out_;
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t o = 0; o < O; ++o) bp[n * O + o] = dzp[n * O + o] * l[o];
    }
    return base;
  }
  Tensor g = Tensor::empty({N, in_}, DType::f32);  // dL/d(x * l)
  ops::matmul_forward(dz, weight_, g);
  add_column_products(x, g, l_grad_);
  if (dx.defined()) {
    float* gp = g.mutable_data<float>();
    const int64_t I = in_;
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t i = 0; i < I; ++i) gp[n * I + i] *= l[i] - 1.0f;
    }
    if (accumulate_dx) {
      model::add_into(dx, g);
    } else {
      dx.copy_from(g);
    }
  }
  return dz;
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
