#include "adapters/lora_linear.h"

#include <cmath>
#include <numbers>
#include <string>
#include <utility>

#include "adapters/linear_adapter_checks.h"
#include "core/rng.h"
#include "model/training_steps.h"
#include "ops/arg_checks.h"
#include "ops/column_scale.h"
#include "ops/dora.h"
#include "ops/dropout.h"
#include "ops/matmul.h"

namespace retune::adapters {

namespace {

constexpr const char* kA = "lora_A.weight";
constexpr const char* kB = "lora_B.weight";

// The dtype of a thin [N, r] product made from the activation t (d(x) A^T from x, its gradient
// from dz): t's on the CPU; bf16 on a GPU, whose later products would round it to bf16 first
// (rounded once from the f32 sums either way, though cuBLASLt may sum in another order for a
// bf16 output).
DType product_dtype(const Tensor& t) {
  return t.device().is_cpu() ? t.dtype() : DType::bf16;
}
constexpr const char* kMagnitude = "lora_magnitude_vector";

// A [r, I] as PEFT's reset_lora_parameters draws it, from Rng(seed) in row-major order.
Tensor initial_a(int64_t r, int64_t in, LoraInit init, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> values(static_cast<size_t>(r * in));
  if (init == LoraInit::kaiming_uniform) {
    // kaiming_uniform_(a = sqrt(5)): gain sqrt(2 / (1 + a^2)) times sqrt(3 / fan_in).
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    for (float& v : values) v = static_cast<float>(rng.uniform(-bound, bound));
  } else {
    // normal_(std = 1 / r), by Box-Muller.
    const double std = 1.0 / static_cast<double>(r);
    for (float& v : values) {
      const double radius = std::sqrt(-2.0 * std::log(1.0 - rng.uniform()));
      v = static_cast<float>(std * radius * std::cos(2.0 * std::numbers::pi * rng.uniform()));
    }
  }
  return Tensor::from_vector<float>({r, in}, DType::f32, values);
}

}  // namespace

LoraLinear::LoraLinear(Tensor weight, const LoraOptions& options)
    : weight_(std::move(weight)), options_(options) {
  const char* op = "LoraLinear";
  check_frozen_weight(op, weight_);
  RETUNE_CHECK(options.r >= 1, "{}: r is {}, expected >= 1", op, options.r);
  RETUNE_CHECK(std::isfinite(options.alpha), "{}: alpha is {}, expected a finite value", op,
               options.alpha);
  RETUNE_CHECK(options.dropout >= 0 && options.dropout <= 1,
               "{}: dropout is {}, expected a probability in [0, 1]", op, options.dropout);
  out_ = weight_.size(0);
  in_ = weight_.size(1);
  const auto r = static_cast<float>(options.r);
  scaling_ = options.use_rslora ? options.alpha / std::sqrt(r) : options.alpha / r;
  a_ = initial_a(options.r, in_, options.init, options.init_seed);
  b_ = Tensor::zeros({out_, options.r}, DType::f32);
  a_grad_ = Tensor::zeros(a_.shape(), DType::f32);
  b_grad_ = Tensor::zeros(b_.shape(), DType::f32);
  if (options.use_dora) {
    // PEFT's DoraLinearLayer.update_layer: m = ||W + s B A||, which is ||W|| while B = 0 (the
    // norms made with m = 1 first).
    m_ = Tensor::empty({out_}, DType::f32);
    m_.fill(1.0);
    m_ = norm_and_scale().first;
    m_grad_ = Tensor::zeros({out_}, DType::f32);
  }
}

Tensor LoraLinear::weight_f32() const {
  return weight_.dtype() == DType::f32 ? weight_ : weight_.to(DType::f32);
}

Tensor LoraLinear::scaled_product() const {
  const Tensor product = Tensor::empty({out_, in_}, DType::f32, a_.device());
  ops::matmul_forward(b_, a_, product, {.alpha = scaling_});
  return product;
}

std::pair<Tensor, Tensor> LoraLinear::norm_and_scale() const {
  const Tensor norm = Tensor::empty({out_}, DType::f32, a_.device());
  const Tensor scale = Tensor::empty({out_}, DType::f32, a_.device());
  ops::dora_norm_scale(weight_, scaled_product(), m_, norm, scale);
  return {norm, scale};
}

Tensor LoraLinear::dropped(const Tensor& x, uint64_t offset) const {
  const Tensor u = Tensor::empty(x.shape(), DType::f32, x.device());
  ops::dropout_forward(x, u, options_.dropout, options_.dropout_seed, offset);
  return u;
}

void LoraLinear::apply(const Tensor& x, const Tensor& z) const {
  run("LoraLinear::apply", x, z, nullptr);
}

void LoraLinear::forward(const Tensor& x, const Tensor& z) {
  train_forward("LoraLinear::forward", x, z, false);
}

bool LoraLinear::forward_term(const Tensor& x, const Tensor& z) {
  if (options_.use_dora) return false;
  train_forward("LoraLinear::forward_term", x, z, true);
  return true;
}

void LoraLinear::train_forward(const char* op, const Tensor& x, const Tensor& z, bool term_only) {
  Saved saved{.dropout_offset = next_dropout_offset_};
  run(op, x, z, &saved, term_only);
  next_dropout_offset_ += static_cast<uint64_t>(x.numel());
  saved_ = std::move(saved);
}

void LoraLinear::run(const char* op, const Tensor& x, const Tensor& z, Saved* saved,
                     bool term_only) const {
  check_activations(op, x, z, in_, out_, a_.device(), takes_bf16_activations());
  const int64_t N = x.size(0);
  const bool drop = saved != nullptr && options_.dropout > 0;
  const Tensor u = drop ? dropped(x, saved->dropout_offset) : x;
  const Tensor xa = Tensor::empty({N, options_.r}, product_dtype(x), x.device());
  ops::matmul_forward(u, a_, xa, {.trans_b = true});
  if (saved) saved->xa = xa;
  if (!options_.use_dora) {
    ops::matmul_forward(xa, b_, z,
                        {.trans_b = true, .alpha = scaling_, .beta = term_only ? 0.0f : 1.0f});
    return;
  }
  auto [norm, scale] = norm_and_scale();
  // base: z, or with dropout d(x) W^T;  term = base + s (d(x) A^T) B^T.
  Tensor base = z;
  if (drop) {
    base = Tensor::empty(z.shape(), DType::f32, x.device());
    ops::matmul_forward(u, weight_, base, {.trans_b = true});
  }
  const Tensor term = base.clone();
  ops::matmul_forward(xa, b_, term, {.trans_b = true, .alpha = scaling_, .beta = 1.0f});
  // z = c term, or with dropout z + (c term - d(x) W^T).
  ops::scale_columns(term, scale, Tensor(), drop ? base : Tensor(), z, drop);
  if (saved) {
    saved->term = term;
    saved->scale = std::move(scale);
    saved->norm = std::move(norm);
  }
}

Tensor LoraLinear::backward(const Tensor& x, const Tensor& dz, const Tensor& dx,
                            bool accumulate_dx) {
  const char* op = "LoraLinear::backward";
  RETUNE_CHECK(saved_.xa.defined(), "{}: no forward() to differentiate", op);
  const int64_t N = saved_.xa.size(0);
  check_gradients(op, x, dz, dx, N, in_, out_, a_.device(), takes_bf16_activations());
  const Saved saved = std::exchange(saved_, Saved{});
  const bool drop = options_.dropout > 0;
  // g: the gradient of (d(x) A^T) B^T divided by s; c * dz for DoRA.
  Tensor g = dz;
  if (options_.use_dora) {
    // g = c dz;  dL/dm = sum over rows of dz * term / n.
    g = Tensor::empty(dz.shape(), DType::f32, dz.device());
    ops::scale_columns(dz, saved.scale, Tensor(), Tensor(), g, false);
    ops::add_column_products(dz, saved.term, saved.norm, m_grad_);
  }
  ops::matmul_forward(g, saved.xa, b_grad_, {.trans_a = true, .alpha = scaling_, .beta = 1.0f});
  const Tensor dxa = Tensor::empty({N, options_.r}, product_dtype(dz), x.device());
  ops::matmul_forward(g, b_, dxa, {.alpha = scaling_});
  const Tensor u = drop ? dropped(x, saved.dropout_offset) : x;
  ops::matmul_forward(dxa, u, a_grad_, {.trans_a = true, .beta = 1.0f});
  if (dx.defined()) {
    // du = dL/d(d(x)), then through the dropout; u is ours to overwrite when dropping.
    const Tensor du = drop ? u : dx;
    ops::matmul_forward(dxa, a_, du, {.beta = !drop && accumulate_dx ? 1.0f : 0.0f});
    if (drop && options_.use_dora) {
      // The (c - 1) * (d(x) W^T) path: du += ((c - 1) dz) W.
      const Tensor h = Tensor::empty(dz.shape(), DType::f32, dz.device());
      ops::scale_columns(dz, saved.scale, Tensor(), dz, h, false);
      ops::matmul_forward(h, weight_, du, {.beta = 1.0f});
    }
    if (drop) {
      const Tensor& target = accumulate_dx ? du : dx;
      ops::dropout_backward(du, target, options_.dropout, options_.dropout_seed,
                            saved.dropout_offset);
      if (accumulate_dx) model::add_into(dx, du);
    }
  }
  return options_.use_dora && !drop ? g : dz;
}

std::vector<AdapterParameter> LoraLinear::parameters() const {
  std::vector<AdapterParameter> params{{kA, a_, a_grad_}, {kB, b_, b_grad_}};
  if (options_.use_dora) params.push_back({kMagnitude, m_, m_grad_});
  return params;
}

void LoraLinear::set_parameter(std::string_view name, const Tensor& value) {
  for (const AdapterParameter& param : parameters()) {
    if (param.name != name) continue;
    RETUNE_CHECK(
        value.defined() && dtype_is_float(value.dtype()) && value.shape() == param.value.shape(),
        "LoraLinear: {} is {}, expected a float tensor {}", name,
        value.defined() ? value.describe() : "undefined", param.value.shape().str());
    param.value.copy_from(value.dtype() == DType::f32 ? value : value.to(DType::f32));
    return;
  }
  std::string names;
  for (const AdapterParameter& param : parameters())
    names += (names.empty() ? "" : ", ") + param.name;
  fail("LoraLinear: no parameter named \"{}\"; expected one of {}", name, names);
}

void LoraLinear::move_to(Device device, const Tensor& weight) {
  check_moved_weights("LoraLinear::move_to", weight, Tensor(), weight_, Tensor(), device);
  weight_ = weight;
  for (Tensor* t : {&a_, &b_, &a_grad_, &b_grad_, &m_, &m_grad_}) {
    if (t->defined()) *t = t->to(device);
  }
  saved_ = Saved{};
}

void LoraLinear::zero_grad() {
  for (const AdapterParameter& param : parameters()) param.grad.fill(0.0);
}

Tensor LoraLinear::merged_delta() const {
  const Tensor delta = scaled_product();
  if (!options_.use_dora) return delta;
  // PEFT's DoraLinearVariant.merge_safe: W' = (m / ||W + ΔW_lora||) * (W + ΔW_lora).
  const Tensor w = weight_f32();
  const std::vector<float> c = norm_and_scale().second.to_f32_vector();
  const float* wp = w.data<float>();
  float* dp = delta.mutable_data<float>();
  for (int64_t o = 0; o < out_; ++o) {
    const float scale = c[static_cast<size_t>(o)];
    for (int64_t i = 0; i < in_; ++i) {
      const float wv = wp[o * w.stride(0) + i * w.stride(1)];
      float& d = dp[o * in_ + i];
      d = scale * (wv + d) - wv;
    }
  }
  return delta;
}

}  // namespace retune::adapters
