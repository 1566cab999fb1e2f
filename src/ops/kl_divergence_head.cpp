#include "ops/kl_divergence_head.h"

#include <cmath>

#include "core/profile.h"
#include "ops/arg_checks.h"
#include "ops/cpu/kl_divergence_head.h"
#include "ops/op_stage.h"
#if RETUNE_CUDA
#include "ops/cuda/kl_divergence_head.h"
#endif

namespace retune::ops {

namespace {

// A head weight [V, C] of a float dtype, contiguous, on `device`; returns its data.
const void* head_data(const char* op, const char* arg, const Tensor& weight, int64_t V, int64_t C,
                      Device device) {
  RETUNE_CHECK(weight.defined() && dtype_is_float(weight.dtype()) && weight.rank() == 2 &&
                   weight.size(0) > 0 && weight.size(1) == C && weight.is_contiguous() &&
                   weight.device() == device && (V < 0 || weight.size(0) == V),
               "{}: {} is {}, expected a contiguous f32, bf16 or f16 [{}, {}] on {}", op, arg,
               weight.defined() ? weight.describe() : "undefined", V < 0 ? "V" : std::to_string(V),
               C, device_name(device));
  return weight.dtype() == DType::f32 ? static_cast<const void*>(weight.device_data<float>())
                                      : weight.device_data<uint16_t>();
}

// Checks the inputs for `op` and describes the problem for the kernel of their device (the
// pointers are that device's). On a GPU `scored` is set to the number of scored rows, counted on
// the host: from host_labels when given, else from labels copied there (which waits for the work
// queued before); the CPU's kernels count them themselves.
cpu::KlHeadProblem check_problem(const char* op, const Tensor& x, const Tensor& weight,
                                 const Tensor& teacher_x, const Tensor& teacher_weight,
                                 const Tensor& labels, float temperature, int64_t chunk,
                                 int64_t& scored, const Tensor& host_labels = Tensor()) {
  RETUNE_CHECK(
      x.defined() && x.dtype() == DType::f32 && x.rank() == 2 && x.is_contiguous() && x.size(1) > 0,
      "{}: x is {}, expected a contiguous f32[N, C] with C >= 1", op,
      x.defined() ? x.describe() : "undefined");
  const int64_t N = x.size(0);
  const int64_t C = x.size(1);
  const Device device = x.device();
  check_backend(op, device);
  const void* weight_data = head_data(op, "weight", weight, -1, C, device);
  const int64_t V = weight.size(0);
  const void* teacher_weight_data = head_data(op, "teacher_weight", teacher_weight, V, C, device);
  check_tensor(op, "teacher_x", teacher_x, DType::f32, {N, C}, device);
  check_tensor(op, "labels", labels, DType::i32, {N}, device);
  RETUNE_CHECK(std::isfinite(temperature) && temperature > 0,
               "{}: temperature is {}, expected a finite number > 0", op, temperature);
  RETUNE_CHECK(chunk >= 1, "{}: chunk is {}, expected at least 1 weight row", op, chunk);
  if (host_labels.defined())
    check_tensor(op, "host_labels", host_labels, DType::i32, {N}, Device::cpu());
  scored = 0;
  if (!device.is_cpu()) {
    const Tensor counted = host_labels.defined() ? host_labels : labels.to(Device::cpu());
    for (int64_t n = 0; n < N; ++n) scored += counted.data<int32_t>()[n] != kIgnoreIndex;
  }
  return {x.device_data<float>(),
          weight_data,
          weight.dtype(),
          teacher_x.device_data<float>(),
          teacher_weight_data,
          teacher_weight.dtype(),
          labels.device_data<int32_t>(),
          N,
          C,
          V,
          temperature,
          chunk};
}

// The data of the optional gradients dx [N, C] and dweight (null when undefined), checked:
// neither may share memory with an input or the other.
std::pair<float*, float*> gradient_data(const char* op, const Tensor& dx, const Tensor& dweight,
                                        const Tensor& x, const Tensor& weight,
                                        const Tensor& teacher_x, const Tensor& teacher_weight) {
  for (const auto& [name, gradient] : {std::pair{"dx", &dx}, std::pair{"dweight", &dweight}}) {
    if (!gradient->defined()) continue;
    check_disjoint(op, name, *gradient, "x", x);
    check_disjoint(op, name, *gradient, "weight", weight);
    check_disjoint(op, name, *gradient, "teacher_x", teacher_x);
    check_disjoint(op, name, *gradient, "teacher_weight", teacher_weight);
  }
  if (dx.defined()) check_output(op, "dx", dx, DType::f32, x.shape(), x.device());
  if (dweight.defined())
    check_output(op, "dweight", dweight, DType::f32, weight.shape(), x.device());
  check_disjoint(op, "dx", dx, "dweight", dweight);
  return {optional_device_data(dx), optional_device_data(dweight)};
}

}  // namespace

void kl_divergence_head_forward(const Tensor& x, const Tensor& weight, const Tensor& teacher_x,
                                const Tensor& teacher_weight, const Tensor& labels,
                                float temperature, const Tensor& loss, const Tensor& lse,
                                const Tensor& teacher_lse, int64_t chunk) {
  const profile::OpScope timed(profile::Op::output_head);
  const char* op = "kl_divergence_head_forward";
  const profile::Stage stage = op_stage(op, x);
  int64_t scored = 0;
  const cpu::KlHeadProblem problem =
      check_problem(op, x, weight, teacher_x, teacher_weight, labels, temperature, chunk, scored);
  check_output(op, "loss", loss, DType::f32, {1}, x.device());
  check_output(op, "lse", lse, DType::f32, {problem.N}, x.device());
  check_output(op, "teacher_lse", teacher_lse, DType::f32, {problem.N}, x.device());
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::kl_divergence_head(
        problem, scored,
        {loss.mutable_device_data<float>(), lse.mutable_device_data<float>(),
         teacher_lse.mutable_device_data<float>(), false, 0.0f, nullptr, nullptr});
    return;
  }
#endif
  cpu::kl_divergence_head_lse(problem, lse.mutable_data<float>(),
                              teacher_lse.mutable_data<float>());
  *loss.mutable_data<float>() = cpu::kl_divergence_head_loss(
      problem, lse.data<float>(), teacher_lse.data<float>(), 0.0f, nullptr, nullptr);
}

void kl_divergence_head_backward(const Tensor& dloss, const Tensor& x, const Tensor& weight,
                                 const Tensor& teacher_x, const Tensor& teacher_weight,
                                 const Tensor& labels, float temperature, const Tensor& lse,
                                 const Tensor& teacher_lse, const Tensor& dx, const Tensor& dweight,
                                 int64_t chunk) {
  const profile::OpScope timed(profile::Op::output_head);
  const char* op = "kl_divergence_head_backward";
  const profile::Stage stage = op_stage(op, x);
  int64_t scored = 0;
  const cpu::KlHeadProblem problem =
      check_problem(op, x, weight, teacher_x, teacher_weight, labels, temperature, chunk, scored);
  check_tensor(op, "dloss", dloss, DType::f32, {1}, x.device());
  check_tensor(op, "lse", lse, DType::f32, {problem.N}, x.device());
  check_tensor(op, "teacher_lse", teacher_lse, DType::f32, {problem.N}, x.device());
  const auto [dx_data, dweight_data] =
      gradient_data(op, dx, dweight, x, weight, teacher_x, teacher_weight);
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    const float dloss_value = dloss.to(Device::cpu()).data<float>()[0];
    cuda::kl_divergence_head(problem, scored,
                             {nullptr, const_cast<float*>(lse.device_data<float>()),
                              const_cast<float*>(teacher_lse.device_data<float>()), true,
                              dloss_value, dx_data, dweight_data});
    return;
  }
#endif
  cpu::kl_divergence_head_loss(problem, lse.data<float>(), teacher_lse.data<float>(),
                               *dloss.data<float>(), dx_data, dweight_data);
}

void kl_divergence_head_forward_backward(const Tensor& x, const Tensor& weight,
                                         const Tensor& teacher_x, const Tensor& teacher_weight,
                                         const Tensor& labels, float temperature,
                                         const Tensor& loss, const Tensor& dx,
                                         const Tensor& dweight, float dloss, int64_t chunk,
                                         const Tensor& host_labels) {
  const profile::OpScope timed(profile::Op::output_head);
  const char* op = "kl_divergence_head_forward_backward";
  const profile::Stage stage = op_stage(op, x);
  int64_t scored = 0;
  const cpu::KlHeadProblem problem = check_problem(op, x, weight, teacher_x, teacher_weight, labels,
                                                   temperature, chunk, scored, host_labels);
  check_output(op, "loss", loss, DType::f32, {1}, x.device());
  const auto [dx_data, dweight_data] =
      gradient_data(op, dx, dweight, x, weight, teacher_x, teacher_weight);
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    const Tensor lse = Tensor::empty({problem.N}, DType::f32, x.device());
    const Tensor teacher_lse = Tensor::empty({problem.N}, DType::f32, x.device());
    cuda::kl_divergence_head(
        problem, scored,
        {loss.mutable_device_data<float>(), lse.mutable_device_data<float>(),
         teacher_lse.mutable_device_data<float>(), false, dloss, dx_data, dweight_data});
    return;
  }
#endif
  std::vector<float> lse(static_cast<size_t>(problem.N));
  std::vector<float> teacher_lse(lse.size());
  cpu::kl_divergence_head_lse(problem, lse.data(), teacher_lse.data());
  *loss.mutable_data<float>() = cpu::kl_divergence_head_loss(
      problem, lse.data(), teacher_lse.data(), dloss, dx_data, dweight_data);
}

}  // namespace retune::ops
