#include "ops/check/op_check.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/rng.h"

#if RETUNE_CUDA
#include "core/cuda/runtime.h"
#endif

namespace retune::ops {

namespace {

HostArrays draw_inputs(const OpSpec& spec, Rng& rng) {
  HostArrays inputs;
  for (const ArgSpec& arg : spec.inputs) {
    HostArray array{arg.shape, {}};
    const auto n = static_cast<size_t>(arg.shape.numel());
    if (!arg.fixed.empty()) {
      RETUNE_CHECK(arg.fixed.size() == n, "spec {}: input {} has {} fixed values for shape {}",
                   spec.name(), arg.name, arg.fixed.size(), arg.shape.str());
      array.values = arg.fixed;
    } else {
      array.values.resize(n);
      for (double& value : array.values) {
        value = arg.kind == ArgKind::real
                    ? rng.uniform(arg.lo, arg.hi)
                    : static_cast<double>(
                          rng.integer(static_cast<int64_t>(arg.lo), static_cast<int64_t>(arg.hi)));
      }
    }
    inputs[arg.name] = std::move(array);
  }
  return inputs;
}

Tensor to_device(const HostArray& array, ArgKind kind, Device device) {
  if (kind == ArgKind::integer) {
    std::vector<int32_t> values(array.values.begin(), array.values.end());
    return Tensor::from_vector<int32_t>(array.shape, DType::i32, values).to(device);
  }
  std::vector<float> values(array.values.begin(), array.values.end());
  return Tensor::from_vector<float>(array.shape, DType::f32, values).to(device);
}

Tensors to_device(const HostArrays& arrays, Device device) {
  Tensors tensors;
  for (const auto& [name, array] : arrays) tensors[name] = to_device(array, ArgKind::real, device);
  return tensors;
}

CheckResult compare(const std::string& check, Tolerance tolerance, const std::vector<double>& want,
                    const std::vector<double>& got) {
  CheckResult result{check, tolerance};
  if (want.size() != got.size()) {
    result.passed = false;
    result.detail = fmt::format("{} values, expected {}", got.size(), want.size());
    return result;
  }
  size_t worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double error = std::fabs(got[i] - want[i]);
    const double allowed = tolerance.atol + tolerance.rtol * std::fabs(want[i]);
    // An exact match passes even with atol = 0 and want = 0 (0 / 0 would be NaN).
    const double excess = std::isnan(error) ? std::numeric_limits<double>::infinity()
                          : error == 0      ? 0.0
                                            : error / allowed;
    if (!(excess <= result.worst_excess)) {
      result.worst_excess = excess;
      worst = i;
    }
    if (!std::isnan(error)) result.max_abs_error = std::max(result.max_abs_error, error);
  }
  result.passed = result.worst_excess <= 1.0;
  if (!want.empty()) {
    result.detail =
        fmt::format("worst at [{}]: got {:.9g}, want {:.9g}", worst, got[worst], want[worst]);
  }
  return result;
}

std::vector<double> host_values(const Tensor& tensor) {
  const std::vector<float> values = tensor.to(Device::cpu()).to_f32_vector();
  return {values.begin(), values.end()};
}

// L = sum over loss outputs of <dout, out>, all in double.
double loss_of(const OpSpec& spec, const HostArrays& inputs, const HostArrays& douts) {
  const HostArrays outputs = spec.reference_forward(inputs);
  double loss = 0;
  for (const std::string& name : spec.loss_outputs) {
    const std::vector<double>& out = outputs.at(name).values;
    const std::vector<double>& dout = douts.at(name).values;
    for (size_t i = 0; i < out.size(); ++i) loss += out[i] * dout[i];
  }
  return loss;
}

void check_finite_differences(const OpSpec& spec, const HostArrays& inputs, const HostArrays& douts,
                              const HostArrays& reference_grads,
                              std::vector<CheckResult>& results) {
  const double h = spec.finite_difference_step;
  for (const ArgSpec& arg : spec.inputs) {
    if (arg.kind != ArgKind::real || !arg.differentiable) continue;
    const std::string grad_name = "d" + arg.name;
    std::vector<double> numeric(inputs.at(arg.name).values.size());
    HostArrays perturbed = inputs;
    std::vector<double>& x = perturbed.at(arg.name).values;
    for (size_t i = 0; i < x.size(); ++i) {
      const double saved = x[i];
      x[i] = saved + h;
      const double plus = loss_of(spec, perturbed, douts);
      x[i] = saved - h;
      const double minus = loss_of(spec, perturbed, douts);
      x[i] = saved;
      numeric[i] = (plus - minus) / (2 * h);
    }
    results.push_back(compare("finite differences " + grad_name, spec.finite_difference_tolerance,
                              numeric, reference_grads.at(grad_name).values));
  }
}

// The tolerance of a check on `device`: a GPU's bf16 products may have their own.
Tolerance tolerance_on(Device device, Tolerance tolerance, const std::optional<Tolerance>& bf16) {
  return !device.is_cpu() && bf16 ? *bf16 : tolerance;
}

void run_checks(const OpSpec& spec, Device device, uint64_t seed,
                std::vector<CheckResult>& results) {
  Rng rng(seed);
  const HostArrays inputs = draw_inputs(spec, rng);
  Tensors device_inputs;
  for (const ArgSpec& arg : spec.inputs) {
    device_inputs[arg.name] = to_device(inputs.at(arg.name), arg.kind, device);
  }

  const HostArrays want = spec.reference_forward(inputs);
  const Tensors got = spec.forward(device_inputs);
  const Tolerance forward_tolerance =
      tolerance_on(device, spec.forward_tolerance, spec.bf16_forward_tolerance);
  const Tolerance backward_tolerance =
      tolerance_on(device, spec.backward_tolerance, spec.bf16_backward_tolerance);
  for (const auto& [name, array] : want) {
    auto it = got.find(name);
    if (it == got.end()) {
      results.push_back({"forward " + name, forward_tolerance, 0, 0, false, "missing output"});
      continue;
    }
    results.push_back(
        compare("forward " + name, forward_tolerance, array.values, host_values(it->second)));
  }
  if (!spec.reference_backward) return;

  HostArrays douts;
  for (const std::string& name : spec.loss_outputs) {
    HostArray dout{want.at(name).shape, std::vector<double>(want.at(name).values.size())};
    for (double& value : dout.values) value = rng.uniform(-1.0, 1.0);
    douts[name] = std::move(dout);
  }
  const HostArrays want_grads = spec.reference_backward(inputs, want, douts);
  for (const ArgSpec& arg : spec.inputs) {
    if (arg.kind == ArgKind::real && arg.differentiable && !want_grads.contains("d" + arg.name)) {
      results.push_back({"reference d" + arg.name, {}, 0, 0, false, "reference gives no gradient"});
    }
  }
  const Tensors got_grads = spec.backward(device_inputs, got, to_device(douts, device));
  for (const auto& [name, array] : want_grads) {
    auto it = got_grads.find(name);
    if (it == got_grads.end()) {
      results.push_back({"backward " + name, backward_tolerance, 0, 0, false, "missing"});
      continue;
    }
    results.push_back(
        compare("backward " + name, backward_tolerance, array.values, host_values(it->second)));
  }
  // The finite differences check the reference, which is the same for every device.
  if (spec.check_finite_differences && device.is_cpu()) {
    check_finite_differences(spec, inputs, douts, want_grads, results);
  }
}

}  // namespace

std::vector<CheckResult> run_op_spec(const OpSpec& spec, Device device, uint64_t seed) {
  std::vector<CheckResult> results;
  try {
    run_checks(spec, device, seed, results);
  } catch (const std::exception& error) {
    results.push_back({"exception", {}, 0, 0, false, error.what()});
  }
  return results;
}

std::vector<Device> available_devices() {
  std::vector<Device> devices{Device::cpu()};
#if RETUNE_CUDA
  if (cuda::device_count() > 0) {
    cuda::use_device(0);
    devices.push_back(Device::cuda(0));
  }
#endif
  return devices;
}

}  // namespace retune::ops
