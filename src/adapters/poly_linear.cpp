#include "adapters/poly_linear.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "adapters/linear_adapter_checks.h"
#include "core/error.h"
#include "core/rng.h"
#include "ops/add.h"
#include "ops/matmul.h"

namespace retune::adapters {

namespace {

constexpr float kNormEpsilon = 1e-12f;  // PEFT's router EPS
constexpr float kClamp = std::numeric_limits<float>::epsilon();
constexpr float kRouterInit = 1e-3f;

float sigmoid(float v) {
  return 1.0f / (1.0f + std::exp(-v));
}

// Uniform in [-bound, bound] from `rng`, `count` values.
std::vector<float> uniforms(Rng& rng, int64_t count, double bound) {
  std::vector<float> values(static_cast<size_t>(count));
  for (float& v : values) v = static_cast<float>(rng.uniform(-bound, bound));
  return values;
}

}  // namespace

float relaxed_bernoulli(float logit, float uniform) {
  const float e = std::clamp(uniform, kClamp, 1.0f - kClamp);
  return sigmoid(logit + std::log(e) - std::log1p(-e));
}

PolyLinear::PolyLinear(const std::string& name, Tensor weight, const PolyShape& shape,
                       uint64_t seed, std::shared_ptr<const PolyRoutes> routes)
    : name_(name),
      weight_(std::move(weight)),
      shape_(shape),
      seed_(seed),
      routes_(std::move(routes)) {
  RETUNE_CHECK(weight_.rank() == 2, "{}: Poly needs a 2-D weight, got {}", name_,
               weight_.shape().str());
  out_ = weight_.size(0);
  in_ = weight_.size(1);
  RETUNE_CHECK(shape_.r >= 1 && shape_.n_tasks >= 1 && shape_.n_skills >= 1 && shape_.n_splits >= 1,
               "{}: Poly r, n_tasks, n_skills and n_splits must be >= 1, got {}, {}, {}, {}", name_,
               shape_.r, shape_.n_tasks, shape_.n_skills, shape_.n_splits);
  RETUNE_CHECK(in_ % shape_.n_splits == 0 && out_ % shape_.n_splits == 0,
               "{}: n_splits {} must divide the in features {} and the out features {}", name_,
               shape_.n_splits, in_, out_);
  const int64_t q = shape_.n_splits, s = shape_.n_skills, r = shape_.r;
  Rng rng(seed);
  a_ = Tensor::from_vector<float>(
      {q, s, in_ / q, r}, DType::f32,
      uniforms(rng, q * s * in_ / q * r, 1.0 / std::sqrt(static_cast<double>(in_ / q))));
  b_ = Tensor::zeros({q, s, r, out_ / q}, DType::f32);
  logits_ = Tensor::from_vector<float>({shape_.n_tasks, q * s}, DType::f32,
                                       uniforms(rng, shape_.n_tasks * q * s, kRouterInit));
  a_grad_ = Tensor::zeros(a_.shape(), DType::f32);
  b_grad_ = Tensor::zeros(b_.shape(), DType::f32);
  logits_grad_ = Tensor::zeros(logits_.shape(), DType::f32);
}

std::vector<AdapterParameter> PolyLinear::parameters() const {
  return {{"poly_lora_A", a_, a_grad_},
          {"poly_lora_B", b_, b_grad_},
          {"poly_router.module_logits", logits_, logits_grad_}};
}

void PolyLinear::add_tasks(int64_t n_tasks, uint64_t seed) {
  const int64_t width = shape_.n_splits * shape_.n_skills;
  RETUNE_CHECK(n_tasks >= shape_.n_tasks, "{}: cannot shrink the router from {} tasks to {}", name_,
               shape_.n_tasks, n_tasks);
  std::vector<float> values = logits_.to_f32_vector();
  Rng rng(seed);
  const std::vector<float> added = uniforms(rng, (n_tasks - shape_.n_tasks) * width, kRouterInit);
  values.insert(values.end(), added.begin(), added.end());
  shape_.n_tasks = n_tasks;
  logits_ = Tensor::from_vector<float>({n_tasks, width}, DType::f32, values);
  logits_grad_ = Tensor::zeros(logits_.shape(), DType::f32);
}

std::vector<int32_t> PolyLinear::row_tasks(int64_t rows, int64_t* per_sequence) const {
  std::vector<int32_t> tasks = routes_ ? routes_->sequence_tasks : std::vector<int32_t>{};
  if (tasks.empty()) {
    RETUNE_CHECK(shape_.n_tasks == 1,
                 "{}: the Poly adapter has {} tasks and no task was given for these rows (give "
                 "each example a \"task\" field, or --task)",
                 name_, shape_.n_tasks);
    tasks = {0};
  }
  const auto sequences = static_cast<int64_t>(tasks.size());
  RETUNE_CHECK(rows % sequences == 0, "{}: {} rows are not {} sequences of equal length", name_,
               rows, sequences);
  for (int32_t task : tasks) {
    RETUNE_CHECK(task >= 0 && task < shape_.n_tasks, "{}: task id {} is not below n_tasks {}",
                 name_, task, shape_.n_tasks);
  }
  *per_sequence = rows / sequences;
  return tasks;
}

std::vector<float> PolyLinear::unnormalised(const std::vector<int32_t>& tasks, bool sample,
                                            uint64_t offset) const {
  const int64_t width = shape_.n_splits * shape_.n_skills;
  const std::vector<float>& z = host_logits();
  std::vector<float> u(tasks.size() * static_cast<size_t>(width));
  for (size_t b = 0; b < tasks.size(); ++b) {
    for (int64_t j = 0; j < width; ++j) {
      const size_t at = b * static_cast<size_t>(width) + static_cast<size_t>(j);
      const float logit = z[static_cast<size_t>(tasks[b] * width + j)];
      u[at] =
          sample ? relaxed_bernoulli(logit, counter_uniform(seed_, offset + at)) : sigmoid(logit);
    }
  }
  return u;
}

const std::vector<float>& PolyLinear::host_logits() const {
  const uint64_t version = logits_.storage()->version();
  if (host_logits_.empty() || version != host_logits_version_) {
    host_logits_ = logits_.to_f32_vector();  // from a GPU: waits for it
    host_logits_version_ = version;
  }
  return host_logits_;
}

std::vector<float> PolyLinear::normalised(const std::vector<float>& u) const {
  std::vector<float> w(u.size());
  const auto skills = static_cast<size_t>(shape_.n_skills);
  for (size_t group = 0; group < u.size(); group += skills) {
    float sum = 0;
    for (size_t k = 0; k < skills; ++k) sum += u[group + k];
    for (size_t k = 0; k < skills; ++k) w[group + k] = u[group + k] / (sum + kNormEpsilon);
  }
  return w;
}

std::vector<float> PolyLinear::eval_weights(int64_t task) const {
  RETUNE_CHECK(task >= 0 && task < shape_.n_tasks, "{}: task id {} is not below n_tasks {}", name_,
               task, shape_.n_tasks);
  return normalised(unnormalised({static_cast<int32_t>(task)}, false, 0));
}

Tensor PolyLinear::routing_tensor(const std::vector<float>& w, bool as_column) const {
  const int64_t q = shape_.n_splits, s = shape_.n_skills;
  const auto sequences = static_cast<int64_t>(w.size()) / (q * s);
  const Shape shape = as_column ? Shape{sequences, q, s, 1} : Shape{sequences, q, 1, s};
  return on_device(Tensor::from_vector<float>(shape, DType::f32, w), a_.device());
}

Tensor PolyLinear::b_blocks(const Tensor& rows) const {
  const int64_t q = shape_.n_splits, r = shape_.r, d = out_ / q;
  if (q == 1) return rows.reshape({1, r * d});
  const Tensor blocks = Tensor::empty({q, r * d}, DType::f32, rows.device());
  for (int64_t p = 0; p < q; ++p) {
    blocks.select(0, p).reshape({r, d}).copy_from(rows.slice(1, p * d, (p + 1) * d));
  }
  return blocks;
}

Tensor PolyLinear::mixed_a(const std::vector<float>& w) const {
  return mixed_a_of(routing_tensor(w, false).select(0, 0));
}

Tensor PolyLinear::mixed_b(const std::vector<float>& w) const {
  return mixed_b_of(routing_tensor(w, false).select(0, 0));
}

Tensor PolyLinear::mixed_a_of(const Tensor& routing) const {
  const int64_t q = shape_.n_splits, s = shape_.n_skills, r = shape_.r, d = in_ / q;
  // Split p's rows of A_t are w[p, :] A[p]: [1, s] x [s, d r] per split.
  const Tensor mixed = Tensor::empty({in_, r}, DType::f32, a_.device());
  ops::matmul_forward(routing, a_.reshape({q, s, d * r}), mixed.reshape({q, 1, d * r}));
  return mixed;
}

Tensor PolyLinear::mixed_b_of(const Tensor& routing) const {
  const int64_t q = shape_.n_splits, s = shape_.n_skills, r = shape_.r, d = out_ / q;
  // Split p's block [r, d] of B_t (its columns p d ..) is w[p, :] B[p]: [1, s] x [s, r d].
  const Tensor blocks = Tensor::empty({q, 1, r * d}, DType::f32, b_.device());
  ops::matmul_forward(routing, b_.reshape({q, s, r * d}), blocks);
  if (q == 1) return blocks.reshape({r, out_});
  const Tensor mixed = Tensor::empty({r, out_}, DType::f32, b_.device());
  for (int64_t p = 0; p < q; ++p) {
    mixed.slice(1, p * d, (p + 1) * d).copy_from(blocks.select(0, p).reshape({r, d}));
  }
  return mixed;
}

void PolyLinear::run(const Tensor& x, const Tensor& z, const std::vector<int32_t>& tasks,
                     int64_t per_sequence, const std::vector<float>& w) const {
  check_activations(name_.c_str(), x, z, in_, out_, a_.device());
  const float scale = 1.0f / static_cast<float>(shape_.r);
  const Tensor h = Tensor::empty({per_sequence, shape_.r}, DType::f32, a_.device());
  const Tensor routing = routing_tensor(w, false);  // every sequence's, on the device at once
  for (size_t b = 0; b < tasks.size(); ++b) {
    const Tensor wb = routing.select(0, static_cast<int64_t>(b));
    const auto first = static_cast<int64_t>(b) * per_sequence;
    ops::matmul_forward(x.slice(0, first, first + per_sequence), mixed_a_of(wb), h);
    ops::matmul_forward(h, mixed_b_of(wb), z.slice(0, first, first + per_sequence),
                        {.alpha = scale, .beta = 1.0f});
  }
}

void PolyLinear::apply(const Tensor& x, const Tensor& z) const {
  int64_t per_sequence = 0;
  const std::vector<int32_t> tasks = row_tasks(x.size(0), &per_sequence);
  run(x, z, tasks, per_sequence, normalised(unnormalised(tasks, false, 0)));
}

void PolyLinear::forward(const Tensor& x, const Tensor& z) {
  tasks_ = row_tasks(x.size(0), &per_sequence_);
  u_ = unnormalised(tasks_, sample_, offset_);
  if (sample_) offset_ += u_.size();
  run(x, z, tasks_, per_sequence_, normalised(u_));
}

Tensor PolyLinear::backward(const Tensor& x, const Tensor& dz, const Tensor& dx,
                            bool accumulate_dx) {
  RETUNE_CHECK(!tasks_.empty(), "{}: Poly backward() without a forward()", name_);
  const Device device = a_.device();
  const int64_t t = per_sequence_;
  check_gradients(name_.c_str(), x, dz, dx, t * static_cast<int64_t>(tasks_.size()), in_, out_,
                  device);
  const int64_t q = shape_.n_splits, s = shape_.n_skills, r = shape_.r;
  const int64_t din = in_ / q, dout = out_ / q;
  const auto width = static_cast<size_t>(q * s);
  const float scale = 1.0f / static_cast<float>(r);
  const std::vector<float> w = normalised(u_);
  const Tensor h = Tensor::empty({t, r}, DType::f32, device);
  const Tensor dh = Tensor::empty({t, r}, DType::f32, device);
  const Tensor da = Tensor::empty({in_, r}, DType::f32, device);
  const Tensor db = Tensor::empty({r, out_}, DType::f32, device);
  // dw of every sequence [R, q, s, 1], read by the host once, after the loop.
  const auto sequences = static_cast<int64_t>(tasks_.size());
  const Tensor dw_all = Tensor::empty({sequences, q, s, 1}, DType::f32, device);
  const Tensor routing = routing_tensor(w, false);  // every sequence's, on the device at once
  const Tensor columns = train_skills_ ? routing_tensor(w, true) : Tensor();
  for (size_t seq = 0; seq < tasks_.size(); ++seq) {
    const Tensor wb = routing.select(0, static_cast<int64_t>(seq));
    const auto first = static_cast<int64_t>(seq) * t;
    const Tensor xb = x.slice(0, first, first + t);
    const Tensor gb_rows = dz.slice(0, first, first + t);
    const Tensor mixed_a_t = mixed_a_of(wb);
    ops::matmul_forward(xb, mixed_a_t, h);
    ops::matmul_forward(h, gb_rows, db, {.trans_a = true, .alpha = scale});
    ops::matmul_forward(gb_rows, mixed_b_of(wb), dh, {.trans_b = true, .alpha = scale});
    ops::matmul_forward(xb, dh, da, {.trans_a = true});
    if (dx.defined()) {
      ops::matmul_forward(dh, mixed_a_t, dx.slice(0, first, first + t),
                          {.trans_b = true, .beta = accumulate_dx ? 1.0f : 0.0f});
    }
    // Per split p: dA_t's block [din r] and dB_t's [r dout], then dw[p, k] = <A[p, k], dA_t(p)>
    // + <B[p, k], dB_t(p)> and (training the skills) dA[p, k] += w[p, k] dA_t(p), likewise dB.
    const Tensor da_blocks = da.reshape({q, 1, din * r});
    const Tensor db_blocks = b_blocks(db).reshape({q, 1, r * dout});
    const Tensor dw = dw_all.select(0, static_cast<int64_t>(seq));
    ops::matmul_forward(a_.reshape({q, s, din * r}), da_blocks, dw, {.trans_b = true});
    ops::matmul_forward(b_.reshape({q, s, r * dout}), db_blocks, dw,
                        {.trans_b = true, .beta = 1.0f});
    if (train_skills_) {
      const Tensor column = columns.select(0, static_cast<int64_t>(seq));
      ops::matmul_forward(column, da_blocks, a_grad_.reshape({q, s, din * r}), {.beta = 1.0f});
      ops::matmul_forward(column, db_blocks, b_grad_.reshape({q, s, r * dout}), {.beta = 1.0f});
    }
  }
  const std::vector<float> dw = dw_all.to_f32_vector();  // from a GPU: waits for it
  // The router's gradient over every sequence, [n_tasks, q s], added to logits_grad_ at once:
  // w = u / (S + eps), S = sum over the split's skills; u = sigmoid(logit): du = u (1 - u).
  std::vector<float> router_grad(static_cast<size_t>(logits_.numel()), 0.0f);
  for (size_t seq = 0; seq < tasks_.size(); ++seq) {
    const float* dwb = dw.data() + seq * width;
    for (int64_t p = 0; p < q; ++p) {
      const size_t group = seq * width + static_cast<size_t>(p * s);
      double total = 0, dot = 0;
      for (int64_t k = 0; k < s; ++k) total += u_[group + static_cast<size_t>(k)];
      const double denominator = total + kNormEpsilon;
      for (int64_t k = 0; k < s; ++k) {
        dot += static_cast<double>(dwb[static_cast<size_t>(p * s + k)]) *
               u_[group + static_cast<size_t>(k)];
      }
      for (int64_t k = 0; k < s; ++k) {
        const double u = u_[group + static_cast<size_t>(k)];
        const double du =
            dwb[static_cast<size_t>(p * s + k)] / denominator - dot / (denominator * denominator);
        router_grad[static_cast<size_t>(tasks_[seq] * q * s + p * s + k)] +=
            static_cast<float>(du * u * (1 - u));
      }
    }
  }
  const Tensor router = Tensor::from_vector<float>(logits_.shape(), DType::f32, router_grad);
  ops::add_forward(logits_grad_, on_device(router, device), logits_grad_);
  return dz;
}

void PolyLinear::move_to(Device device, const Tensor& weight) {
  check_moved_weights("PolyLinear::move_to", weight, Tensor(), weight_, Tensor(), device);
  weight_ = weight;
  for (Tensor* t : {&a_, &a_grad_, &b_, &b_grad_, &logits_, &logits_grad_}) *t = t->to(device);
  tasks_.clear();
}

Tensor PolyLinear::merged_weight(int64_t task) const {
  const std::vector<float> w = eval_weights(task);
  Tensor merged = weight_.to(DType::f32).contiguous().clone();
  // W' = W + B_t^T A_t^T / r: [O, r] x [r, I].
  ops::matmul_forward(mixed_b(w), mixed_a(w), merged,
                      {.trans_a = true,
                       .trans_b = true,
                       .alpha = 1.0f / static_cast<float>(shape_.r),
                       .beta = 1.0f});
  return merged;
}

}  // namespace retune::adapters
