#include "adapters/poly_linear.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "core/error.h"
#include "core/rng.h"
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
  const float* z = logits_.data<float>();
  std::vector<float> u(tasks.size() * static_cast<size_t>(width));
  for (size_t b = 0; b < tasks.size(); ++b) {
    for (int64_t j = 0; j < width; ++j) {
      const size_t at = b * static_cast<size_t>(width) + static_cast<size_t>(j);
      const float logit = z[tasks[b] * width + j];
      u[at] =
          sample ? relaxed_bernoulli(logit, counter_uniform(seed_, offset + at)) : sigmoid(logit);
    }
  }
  return u;
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

Tensor PolyLinear::mixed_a(const std::vector<float>& w) const {
  const int64_t q = shape_.n_splits, s = shape_.n_skills, r = shape_.r, d = in_ / q;
  Tensor mixed = Tensor::zeros({in_, r}, DType::f32);
  const float* a = a_.data<float>();
  float* out = mixed.mutable_data<float>();
  for (int64_t p = 0; p < q; ++p) {
    for (int64_t k = 0; k < s; ++k) {
      const float weight = w[static_cast<size_t>(p * s + k)];
      const float* block = a + (p * s + k) * d * r;
      for (int64_t i = 0; i < d * r; ++i) out[p * d * r + i] += weight * block[i];
    }
  }
  return mixed;
}

Tensor PolyLinear::mixed_b(const std::vector<float>& w) const {
  const int64_t q = shape_.n_splits, s = shape_.n_skills, r = shape_.r, d = out_ / q;
  Tensor mixed = Tensor::zeros({r, out_}, DType::f32);
  const float* b = b_.data<float>();
  float* out = mixed.mutable_data<float>();
  for (int64_t p = 0; p < q; ++p) {
    for (int64_t k = 0; k < s; ++k) {
      const float weight = w[static_cast<size_t>(p * s + k)];
      const float* block = b + (p * s + k) * r * d;
      for (int64_t row = 0; row < r; ++row) {
        for (int64_t o = 0; o < d; ++o) out[row * out_ + p * d + o] += weight * block[row * d + o];
      }
    }
  }
  return mixed;
}

void PolyLinear::run(const Tensor& x, const Tensor& z, const std::vector<int32_t>& tasks,
                     int64_t per_sequence, const std::vector<float>& w) const {
  const auto width = static_cast<size_t>(shape_.n_splits * shape_.n_skills);
  const float scale = 1.0f / static_cast<float>(shape_.r);
  Tensor h = Tensor::empty({per_sequence, shape_.r}, DType::f32);
  for (size_t b = 0; b < tasks.size(); ++b) {
    const std::vector<float> wb(w.begin() + static_cast<std::ptrdiff_t>(b * width),
                                w.begin() + static_cast<std::ptrdiff_t>((b + 1) * width));
    const auto first = static_cast<int64_t>(b) * per_sequence;
    ops::matmul_forward(x.slice(0, first, first + per_sequence), mixed_a(wb), h);
    ops::matmul_forward(h, mixed_b(wb), z.slice(0, first, first + per_sequence),
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
  const int64_t q = shape_.n_splits, s = shape_.n_skills, r = shape_.r;
  const int64_t din = in_ / q, dout = out_ / q;
  const auto width = static_cast<size_t>(q * s);
  const float scale = 1.0f / static_cast<float>(r);
  const std::vector<float> w = normalised(u_);
  const int64_t t = per_sequence_;
  Tensor h = Tensor::empty({t, r}, DType::f32);
  Tensor dh = Tensor::empty({t, r}, DType::f32);
  Tensor da = Tensor::empty({in_, r}, DType::f32);
  Tensor db = Tensor::empty({r, out_}, DType::f32);
  const float* a = a_.data<float>();
  const float* bp = b_.data<float>();
  float* ga = a_grad_.mutable_data<float>();
  float* gb = b_grad_.mutable_data<float>();
  float* gz = logits_grad_.mutable_data<float>();
  for (size_t seq = 0; seq < tasks_.size(); ++seq) {
    const std::vector<float> wb(w.begin() + static_cast<std::ptrdiff_t>(seq * width),
                                w.begin() + static_cast<std::ptrdiff_t>((seq + 1) * width));
    const auto first = static_cast<int64_t>(seq) * t;
    const Tensor xb = x.slice(0, first, first + t);
    const Tensor gb_rows = dz.slice(0, first, first + t);
    const Tensor mixed_a_t = mixed_a(wb);
    const Tensor mixed_b_t = mixed_b(wb);
    ops::matmul_forward(xb, mixed_a_t, h);
    ops::matmul_forward(h, gb_rows, db, {.trans_a = true, .alpha = scale});
    ops::matmul_forward(gb_rows, mixed_b_t, dh, {.trans_b = true, .alpha = scale});
    ops::matmul_forward(xb, dh, da, {.trans_a = true});
    if (dx.defined()) {
      ops::matmul_forward(dh, mixed_a_t, dx.slice(0, first, first + t),
                          {.trans_b = true, .beta = accumulate_dx ? 1.0f : 0.0f});
    }
    const float* dap = da.data<float>();
    const float* dbp = db.data<float>();
    std::vector<double> dw(width, 0.0);
    for (int64_t p = 0; p < q; ++p) {
      for (int64_t k = 0; k < s; ++k) {
        const size_t j = static_cast<size_t>(p * s + k);
        const int64_t a_block = (p * s + k) * din * r, b_block = (p * s + k) * r * dout;
        double sum = 0;
        for (int64_t i = 0; i < din * r; ++i) {
          sum += static_cast<double>(a[a_block + i]) * dap[p * din * r + i];
          if (train_skills_) ga[a_block + i] += wb[j] * dap[p * din * r + i];
        }
        for (int64_t row = 0; row < r; ++row) {
          for (int64_t o = 0; o < dout; ++o) {
            const float g = dbp[row * out_ + p * dout + o];
            sum += static_cast<double>(bp[b_block + row * dout + o]) * g;
            if (train_skills_) gb[b_block + row * dout + o] += wb[j] * g;
          }
        }
        dw[j] = sum;
      }
    }
    // w = u / (S + eps), S = sum over the split's skills; u = sigmoid(logit): du = u (1 - u).
    for (int64_t p = 0; p < q; ++p) {
      const size_t group = seq * width + static_cast<size_t>(p * s);
      double total = 0, dot = 0;
      for (int64_t k = 0; k < s; ++k) total += u_[group + static_cast<size_t>(k)];
      const double denominator = total + kNormEpsilon;
      for (int64_t k = 0; k < s; ++k) {
        dot += dw[static_cast<size_t>(p * s + k)] * u_[group + static_cast<size_t>(k)];
      }
      for (int64_t k = 0; k < s; ++k) {
        const double u = u_[group + static_cast<size_t>(k)];
        const double du =
            dw[static_cast<size_t>(p * s + k)] / denominator - dot / (denominator * denominator);
        gz[static_cast<int64_t>(tasks_[seq]) * q * s + p * s + k] +=
            static_cast<float>(du * u * (1 - u));
      }
    }
  }
  return dz;
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
