#include "train/optimizer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/profile.h"
#include "ops/adamw.h"
#include "ops/clip_grad_norm.h"
#include "ops/sgd.h"
#include "ops/zero_fill.h"

namespace retune::train {
namespace {

void check_options(const OptimizerOptions& o) {
  auto in_unit = [](double x) { return x >= 0 && x < 1; };
  auto non_negative = [](double x) { return x >= 0 && std::isfinite(x); };
  if (!non_negative(o.weight_decay)) {
    fail("optimizer.weight_decay must be >= 0, got {}", o.weight_decay);
  }
  if (o.kind == OptimizerKind::adamw) {
    if (!in_unit(o.beta1)) fail("optimizer.beta1 must be in [0, 1), got {}", o.beta1);
    if (!in_unit(o.beta2)) fail("optimizer.beta2 must be in [0, 1), got {}", o.beta2);
    if (!non_negative(o.eps)) fail("optimizer.eps must be >= 0, got {}", o.eps);
    return;
  }
  if (!non_negative(o.momentum)) fail("optimizer.momentum must be >= 0, got {}", o.momentum);
  if (!std::isfinite(o.dampening)) fail("optimizer.dampening must be finite, got {}", o.dampening);
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0)) {
    fail("optimizer.nesterov needs momentum > 0 and dampening 0, got momentum {} and dampening {}",
         o.momentum, o.dampening);
  }
}

void check_parameter(const Parameter& p) {
  auto usable = [](const Tensor& t) {
    return t.defined() && t.dtype() == DType::f32 && t.is_contiguous() && t.writable();
  };
  if (!usable(p.value)) {
    fail("optimizer: parameter \"{}\" is {}, expected a writable contiguous f32 tensor", p.name,
         p.value.defined() ? p.value.describe() : "undefined");
  }
  if (!usable(p.grad) || p.grad.shape() != p.value.shape()) {
    fail("optimizer: the gradient of \"{}\" is {}, expected a writable contiguous {}", p.name,
         p.grad.defined() ? p.grad.describe() : "undefined", p.value.describe());
  }
  if (p.grad.overlaps(p.value)) fail("optimizer: the gradient of \"{}\" aliases its value", p.name);
}

}  // namespace

bool hf_decays(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view word : {"bias", "layernorm", "rmsnorm"}) {
    if (lower.find(word) != std::string::npos) return false;
  }
  std::string_view rest = lower;
  while (!rest.empty()) {
    const size_t dot = rest.find('.');
    const std::string_view part = rest.substr(0, dot);
    if (part == "norm" || part.ends_with("_norm") || part.starts_with("ln_")) return false;
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  return true;
}

Optimizer::Optimizer(std::vector<Parameter> parameters, const OptimizerOptions& options)
    : parameters_(std::move(parameters)), options_(options) {
  check_options(options_);
  if (parameters_.empty()) fail("optimizer: no parameters to optimize");
  std::set<std::string_view> names;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& p = parameters_[i];
    check_parameter(p);
    if (!names.insert(p.name).second) fail("optimizer: parameter \"{}\" is listed twice", p.name);
    for (size_t j = 0; j < i; ++j) {
      if (p.value.overlaps(parameters_[j].value)) {
        fail("optimizer: parameters \"{}\" and \"{}\" share memory (list tied weights once)",
             parameters_[j].name, p.name);
      }
      // One gradient updated twice: the GPU's batched kernels would race on it.
      if (p.grad.overlaps(parameters_[j].grad) || p.grad.overlaps(parameters_[j].value) ||
          p.value.overlaps(parameters_[j].grad)) {
        fail(
            "optimizer: the gradient of \"{}\" or \"{}\" shares memory with the other's "
            "value or gradient",
            parameters_[j].name, p.name);
      }
    }
  }
  if (options_.kind == OptimizerKind::adamw) {
    state_names_ = {"exp_avg", "exp_avg_sq"};
  } else if (options_.momentum > 0) {
    state_names_ = {"momentum_buffer"};
  }
  updates_.assign(parameters_.size(), 0);
  for (const Parameter& p : parameters_) {
    std::vector<Tensor>& state = state_.emplace_back();
    for (size_t k = 0; k < state_names_.size(); ++k) {
      state.push_back(Tensor::zeros(p.value.shape(), DType::f32, p.value.device()));
    }
  }
}

double Optimizer::clip_grad_norm(double max_norm) {
  std::vector<Tensor> grads;
  grads.reserve(parameters_.size());
  for (const Parameter& p : parameters_) grads.push_back(p.grad);
  return ops::clip_grad_norm(grads, max_norm);
}

void Optimizer::step(double lr) {
  const profile::PhaseScope timed(profile::Phase::optimizer);
  const OptimizerOptions& o = options_;
  std::vector<ops::AdamWTensors> adamw;  // every tensor's step at once (one GPU launch per batch)
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (!frozen_.empty() && frozen_[i]) continue;
    const Parameter& p = parameters_[i];
    const double weight_decay = p.decay ? o.weight_decay : 0.0;
    if (o.kind == OptimizerKind::adamw) {
      adamw.push_back({p.value, p.grad, state_[i][0], state_[i][1], updates_[i] + 1, weight_decay});
    } else {
      ops::sgd_step(p.value, p.grad, state_[i].empty() ? Tensor() : state_[i][0], updates_[i] == 0,
                    {.lr = lr,
                     .momentum = o.momentum,
                     .dampening = o.dampening,
                     .weight_decay = weight_decay,
                     .nesterov = o.nesterov});
    }
    ++updates_[i];
  }
  ops::adamw_steps(adamw, {.lr = lr, .beta1 = o.beta1, .beta2 = o.beta2, .eps = o.eps});
  ++steps_;
}

void Optimizer::set_frozen(std::vector<bool> frozen) {
  RETUNE_CHECK(frozen.empty() || frozen.size() == parameters_.size(),
               "optimizer: a frozen mask of {} for {} parameters", frozen.size(),
               parameters_.size());
  frozen_ = std::move(frozen);
}

void Optimizer::zero_grad() {
  const profile::PhaseScope timed(profile::Phase::optimizer);
  std::vector<Tensor> grads;
  grads.reserve(parameters_.size());
  for (const Parameter& p : parameters_) grads.push_back(p.grad);
  ops::zero_fill(grads);
}

std::string Optimizer::state_name(size_t i, size_t k) const {
  return parameters_[i].name + "." + std::string(state_names_[k]);
}

OptimizerState Optimizer::export_state() const {
  OptimizerState out{.steps = steps_, .tensors = {}};
  const bool counts = std::any_of(updates_.begin(), updates_.end(),
                                  [&](int64_t updates) { return updates != steps_; });
  for (size_t i = 0; i < parameters_.size(); ++i) {
    for (size_t k = 0; k < state_names_.size(); ++k) {
      out.tensors.emplace_back(state_name(i, k), state_[i][k]);
    }
    if (counts) {
      out.tensors.emplace_back(
          parameters_[i].name + ".step",
          Tensor::from_vector<int64_t>({1}, DType::i64, std::vector<int64_t>{updates_[i]}));
    }
  }
  return out;
}

void Optimizer::import_state(const OptimizerState& state) {
  if (state.steps < 0) fail("optimizer state: the step count is {}, expected >= 0", state.steps);
  std::map<std::string_view, const Tensor*> by_name;
  for (const auto& [name, tensor] : state.tensors) {
    if (!by_name.emplace(name, &tensor).second) {
      fail("optimizer state: \"{}\" appears twice", name);
    }
  }
  // Check everything before copying anything.
  std::vector<std::pair<const Tensor*, const Tensor*>> copies;  // (source, destination)
  std::vector<int64_t> updates(parameters_.size(), state.steps);
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (const auto count = by_name.find(parameters_[i].name + ".step"); count != by_name.end()) {
      const Tensor& source = *count->second;
      if (!source.defined() || source.dtype() != DType::i64 || source.numel() != 1 ||
          source.data<int64_t>()[0] < 0 || source.data<int64_t>()[0] > state.steps) {
        fail("optimizer state: \"{}\" must be one i64 count in [0, {}]", count->first, state.steps);
      }
      updates[i] = source.data<int64_t>()[0];
      by_name.erase(count);
    }
    for (size_t k = 0; k < state_names_.size(); ++k) {
      const std::string name = state_name(i, k);
      const auto found = by_name.find(name);
      if (found == by_name.end()) fail("optimizer state: \"{}\" is missing", name);
      const Tensor& source = *found->second;
      const Tensor& destination = state_[i][k];
      if (!source.defined() || source.dtype() != DType::f32 ||
          source.shape() != destination.shape()) {
        fail("optimizer state: \"{}\" is {}, expected {}", name,
             source.defined() ? source.describe() : "undefined", destination.describe());
      }
      copies.emplace_back(&source, &destination);
      by_name.erase(found);
    }
  }
  if (!by_name.empty()) {
    fail("optimizer state: \"{}\" is not a state tensor of this optimizer", by_name.begin()->first);
  }
  for (const auto& [source, destination] : copies) destination->copy_from(*source);
  steps_ = state.steps;
  updates_ = std::move(updates);
}

}  // namespace retune::train
