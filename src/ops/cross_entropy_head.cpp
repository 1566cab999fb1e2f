#include "ops/cross_entropy_head.h"

#include "core/profile.h"
#include "ops/arg_checks.h"
#include "ops/cpu/cross_entropy_head.h"
#include "ops/op_stage.h"
#if RETUNE_CUDA
#include "ops/cuda/cross_entropy_head.h"
#endif

namespace retune::ops {

namespace {

// Checks x, weight, labels and chunk for `op` and describes the problem for the kernel of their
// device (the pointers are that device's). The labels are checked on the host: host_labels when
// given, else labels (a GPU's copied there, which waits for the work queued before). `labelled`
// is set to the number not ignored.
cpu::HeadProblem check_problem(const char* op, const Tensor& x, const Tensor& weight,
                               const Tensor& labels, int64_t chunk, int64_t& labelled,
                               const Tensor& host_labels = Tensor()) {
  RETUNE_CHECK(
      x.defined() && x.dtype() == DType::f32 && x.rank() == 2 && x.is_contiguous() && x.size(1) > 0,
      "{}: x is {}, expected a contiguous f32[N, C] with C >= 1", op,
      x.defined() ? x.describe() : "undefined");
  const int64_t N = x.size(0);
  const int64_t C = x.size(1);
  const Device device = x.device();
  RETUNE_CHECK(weight.defined() && dtype_is_float(weight.dtype()) && weight.rank() == 2 &&
                   weight.size(0) > 0 && weight.size(1) == C && weight.is_contiguous() &&
                   weight.device() == device,
               "{}: weight is {}, expected a contiguous f32, bf16 or f16 [V, {}] on {}", op,
               weight.defined() ? weight.describe() : "undefined", C, device_name(device));
  const int64_t V = weight.size(0);
  RETUNE_CHECK(labels.defined() && labels.dtype() == DType::i32 && labels.shape() == Shape{N} &&
                   labels.is_contiguous() && labels.device() == device,
               "{}: labels is {}, expected a contiguous i32[{}] on {}", op,
               labels.defined() ? labels.describe() : "undefined", N, device_name(device));
  RETUNE_CHECK(chunk >= 1, "{}: chunk is {}, expected at least 1 weight row", op, chunk);
  check_backend(op, device);
  if (host_labels.defined())
    check_tensor(op, "host_labels", host_labels, DType::i32, {N}, Device::cpu());
  const Tensor checked = host_labels.defined() ? host_labels
                         : device.is_cpu()     ? labels
                                               : labels.to(Device::cpu());
  const int32_t* label = checked.data<int32_t>();
  labelled = 0;
  for (int64_t n = 0; n < N; ++n) {
    RETUNE_CHECK(label[n] == kIgnoreIndex || (label[n] >= 0 && label[n] < V),
                 "{}: labels[{}] is {}, expected a class in [0, {}) or {} (ignored)", op, n,
                 label[n], V, kIgnoreIndex);
    labelled += label[n] != kIgnoreIndex;
  }
  const void* weight_data = weight.dtype() == DType::f32
                                ? static_cast<const void*>(weight.device_data<float>())
                                : weight.device_data<uint16_t>();
  return {x.device_data<float>(),
          weight_data,
          weight.dtype(),
          labels.device_data<int32_t>(),
          N,
          C,
          V,
          chunk};
}

// Checks an f32 output (or gradient), which may not share memory with x or weight (read while
// it is written, by later row blocks on a GPU), and returns its data.
float* output_data(const char* op, const char* arg, const Tensor& t, const Shape& shape,
                   const Tensor& x, const Tensor& weight) {
  check_output(op, arg, t, DType::f32, shape, x.device());
  check_disjoint(op, arg, t, "x", x);
  check_disjoint(op, arg, t, "weight", weight);
  return t.mutable_device_data<float>();
}

// An optional gradient: null when undefined, else checked as an output and its data.
float* gradient_data(const char* op, const char* arg, const Tensor& t, const Shape& shape,
                     const Tensor& x, const Tensor& weight) {
  if (!t.defined()) return nullptr;
  return output_data(op, arg, t, shape, x, weight);
}

}  // namespace

void cross_entropy_head_forward(const Tensor& x, const Tensor& weight, const Tensor& labels,
                                const Tensor& loss, const Tensor& lse, int64_t chunk) {
  const profile::OpScope timed(profile::Op::output_head);
  const char* op = "cross_entropy_head_forward";
  const profile::Stage stage = op_stage(op, x);
  int64_t labelled = 0;
  const cpu::HeadProblem problem = check_problem(op, x, weight, labels, chunk, labelled);
  float* loss_data = output_data(op, "loss", loss, {1}, x, weight);
  float* lse_data = output_data(op, "lse", lse, {problem.N}, x, weight);
  check_disjoint(op, "lse", lse, "loss", loss);
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::cross_entropy_head(problem, labelled,
                             {loss_data, lse_data, false, 0.0f, nullptr, nullptr});
    return;
  }
#endif
  *loss_data = cpu::cross_entropy_head_forward(problem, lse_data);
}

void cross_entropy_head_backward(const Tensor& dloss, const Tensor& x, const Tensor& weight,
                                 const Tensor& labels, const Tensor& lse, const Tensor& dx,
                                 const Tensor& dweight, int64_t chunk) {
  const profile::OpScope timed(profile::Op::output_head);
  const char* op = "cross_entropy_head_backward";
  const profile::Stage stage = op_stage(op, x);
  int64_t labelled = 0;
  const cpu::HeadProblem problem = check_problem(op, x, weight, labels, chunk, labelled);
  const Device device = x.device();
  RETUNE_CHECK(dloss.defined() && dloss.dtype() == DType::f32 && dloss.shape() == Shape{1} &&
                   dloss.device() == device,
               "{}: dloss is {}, expected f32[1] on {}", op,
               dloss.defined() ? dloss.describe() : "undefined", device_name(device));
  check_tensor(op, "lse", lse, DType::f32, {problem.N}, device);
  float* dx_data = gradient_data(op, "dx", dx, {problem.N, problem.C}, x, weight);
  float* dweight_data = gradient_data(op, "dweight", dweight, weight.shape(), x, weight);
  check_disjoint(op, "dx", dx, "dweight", dweight);
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    const float dloss_value = dloss.to(Device::cpu()).data<float>()[0];
    cuda::cross_entropy_head(problem, labelled,
                             {nullptr, const_cast<float*>(lse.device_data<float>()), true,
                              dloss_value, dx_data, dweight_data});
    return;
  }
#endif
  cpu::cross_entropy_head_backward(problem, *dloss.data<float>(), lse.data<float>(), dx_data,
                                   dweight_data);
}

void cross_entropy_head_forward_backward(const Tensor& x, const Tensor& weight,
                                         const Tensor& labels, const Tensor& loss,
                                         const Tensor& lse, const Tensor& dx, const Tensor& dweight,
                                         float dloss, int64_t chunk, const Tensor& host_labels) {
  const profile::OpScope timed(profile::Op::output_head);
  const char* op = "cross_entropy_head_forward_backward";
  const profile::Stage stage = op_stage(op, x);
  int64_t labelled = 0;
  const cpu::HeadProblem problem =
      check_problem(op, x, weight, labels, chunk, labelled, host_labels);
  float* loss_data = output_data(op, "loss", loss, {1}, x, weight);
  float* lse_data = output_data(op, "lse", lse, {problem.N}, x, weight);
  check_disjoint(op, "lse", lse, "loss", loss);
  float* dx_data = gradient_data(op, "dx", dx, {problem.N, problem.C}, x, weight);
  float* dweight_data = gradient_data(op, "dweight", dweight, weight.shape(), x, weight);
  check_disjoint(op, "dx", dx, "dweight", dweight);
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::cross_entropy_head(problem, labelled,
                             {loss_data, lse_data, false, dloss, dx_data, dweight_data});
    return;
  }
#endif
  *loss_data =
      cpu::cross_entropy_head_forward_backward(problem, dloss, lse_data, dx_data, dweight_data);
}

}  // namespace retune::ops
