#include "ops/anchor_penalty.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "core/error.h"
#include "core/profile.h"
#include "ops/arg_checks.h"
#include "ops/cpu/anchor_penalty.h"

#if RETUNE_CUDA
#include "ops/cuda/anchor_penalty.h"
#endif

namespace retune::ops {

namespace {

// Checks `t`, argument `arg` of tensor i, against the shape of the first tensor of its group and
// the device of the first tensor overall (`device`, set by the first call).
void check_argument(const char* op, size_t i, const char* arg, const Tensor& t, const Shape& shape,
                    std::optional<Device>& device, bool output) {
  if (!device) device = t.defined() ? t.device() : Device::cpu();
  const std::string name = fmt::format("{}[{}]", arg, i);
  if (output) {
    check_output(op, name.c_str(), t, DType::f32, shape, *device);
  } else {
    check_tensor(op, name.c_str(), t, DType::f32, shape, *device);
  }
  check_backend(op, *device);
}

}  // namespace

double anchor_penalty(std::span<const AnchoredTensor> tensors, double l2sp, double ewc) {
  const char* op = "anchor_penalty";
  const profile::Stage stage([&] { return fmt::format("{} x{}", op, tensors.size()); });
  RETUNE_CHECK(l2sp >= 0 && ewc >= 0, "{}: l2sp is {} and ewc {}, expected both >= 0", op, l2sp,
               ewc);
  std::optional<Device> device;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const AnchoredTensor& t = tensors[i];
    RETUNE_CHECK(t.value.defined(), "{}: value[{}] is undefined", op, i);
    const Shape& shape = t.value.shape();
    check_argument(op, i, "value", t.value, shape, device, false);
    check_argument(op, i, "start", t.start, shape, device, false);
    if (t.fisher.defined()) check_argument(op, i, "fisher", t.fisher, shape, device, false);
    check_argument(op, i, "grad", t.grad, shape, device, true);
    check_disjoint(op, "grad", t.grad, "value", t.value);
    check_disjoint(op, "grad", t.grad, "start", t.start);
    check_disjoint(op, "grad", t.grad, "fisher", t.fisher);
  }
  if (!device) return 0;
#if RETUNE_CUDA
  if (!device->is_cpu()) {
    std::vector<cuda::AnchoredArray> arrays;
    for (const AnchoredTensor& t : tensors) {
      arrays.push_back({t.value.device_data<float>(), t.start.device_data<float>(),
                        optional_device_input(t.fisher), t.grad.mutable_device_data<float>(),
                        t.value.numel()});
    }
    return 0.5 * cuda::anchor_penalty(arrays, l2sp, ewc);
  }
#endif
  double sum = 0;
  for (const AnchoredTensor& t : tensors) {
    sum +=
        cpu::anchor_penalty(t.value.data<float>(), t.start.data<float>(), optional_input(t.fisher),
                            t.grad.mutable_data<float>(), t.value.numel(), l2sp, ewc);
  }
  return 0.5 * sum;
}

void add_squares(std::span<const Tensor> grads, std::span<const Tensor> sums, float scale) {
  const char* op = "add_squares";
  const profile::Stage stage([&] { return fmt::format("{} x{}", op, grads.size()); });
  RETUNE_CHECK(grads.size() == sums.size(), "{}: {} gradients and {} sums", op, grads.size(),
               sums.size());
  std::optional<Device> device;
  for (size_t i = 0; i < grads.size(); ++i) {
    RETUNE_CHECK(grads[i].defined(), "{}: grads[{}] is undefined", op, i);
    check_argument(op, i, "grads", grads[i], grads[i].shape(), device, false);
    check_argument(op, i, "sums", sums[i], grads[i].shape(), device, true);
    check_disjoint(op, "sums", sums[i], "grads", grads[i]);
  }
  if (!device) return;
#if RETUNE_CUDA
  if (!device->is_cpu()) {
    std::vector<cuda::SquaredArray> arrays;
    for (size_t i = 0; i < grads.size(); ++i) {
      arrays.push_back(
          {grads[i].device_data<float>(), sums[i].mutable_device_data<float>(), grads[i].numel()});
    }
    cuda::add_squares(arrays, scale);
    return;
  }
#endif
  for (size_t i = 0; i < grads.size(); ++i) {
    cpu::add_squares(grads[i].data<float>(), sums[i].mutable_data<float>(), grads[i].numel(),
                     scale);
  }
}

}  // namespace retune::ops
