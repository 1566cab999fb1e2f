#include "ops/adamw.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "core/profile.h"
#include "ops/arg_checks.h"
#include "ops/cpu/adamw.h"

#if RETUNE_CUDA
#include "ops/cuda/adamw.h"
#endif

namespace retune::ops {

namespace {

// Checks one tensor's arguments; returns its step's constants.
cpu::AdamWScalars checked_scalars(const Tensor& param, const Tensor& grad, const Tensor& m,
                                  const Tensor& v, int64_t step, const AdamWOptions& o) {
  RETUNE_CHECK(param.defined(), "adamw_step: param is undefined");
  check_output("adamw_step", "param", param, DType::f32, param.shape(), param.device());
  RETUNE_CHECK(step >= 1, "adamw_step: step is {}, expected the 1-based step number", step);
  RETUNE_CHECK(o.lr >= 0 && std::isfinite(o.lr), "adamw_step: lr is {}, expected >= 0", o.lr);
  RETUNE_CHECK(o.beta1 >= 0 && o.beta1 < 1, "adamw_step: beta1 is {}, expected in [0, 1)", o.beta1);
  RETUNE_CHECK(o.beta2 >= 0 && o.beta2 < 1, "adamw_step: beta2 is {}, expected in [0, 1)", o.beta2);
  RETUNE_CHECK(o.eps >= 0 && std::isfinite(o.eps), "adamw_step: eps is {}, expected >= 0", o.eps);
  RETUNE_CHECK(o.weight_decay >= 0 && std::isfinite(o.weight_decay),
               "adamw_step: weight_decay is {}, expected >= 0", o.weight_decay);
  check_tensor("adamw_step", "grad", grad, DType::f32, param.shape(), param.device());
  check_output("adamw_step", "m", m, DType::f32, param.shape(), param.device());
  check_output("adamw_step", "v", v, DType::f32, param.shape(), param.device());
  check_backend("adamw_step", param.device());
  const auto t = static_cast<double>(step);
  return {
      static_cast<float>(1 - o.lr * o.weight_decay),
      static_cast<float>(o.beta1),
      static_cast<float>(1 - o.beta1),
      static_cast<float>(o.beta2),
      static_cast<float>(1 - o.beta2),
      static_cast<float>(o.lr / (1 - std::pow(o.beta1, t))),
      static_cast<float>(std::sqrt(1 - std::pow(o.beta2, t))),
      static_cast<float>(o.eps),
  };
}

}  // namespace

void adamw_step(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v,
                int64_t step, const AdamWOptions& o) {
  const AdamWTensors one{param, grad, m, v, step, o.weight_decay};
  adamw_steps({&one, 1}, o);
}

void adamw_steps(std::span<const AdamWTensors> tensors, const AdamWOptions& options) {
  const profile::Stage stage([&] { return fmt::format("adamw_steps x{}", tensors.size()); });
#if RETUNE_CUDA
  std::vector<cuda::AdamWTensor> on_device;
#endif
  for (const AdamWTensors& t : tensors) {
    AdamWOptions own = options;
    own.weight_decay = t.weight_decay;
    const cpu::AdamWScalars scalars = checked_scalars(t.param, t.grad, t.m, t.v, t.step, own);
#if RETUNE_CUDA
    if (!t.param.device().is_cpu()) {
      on_device.push_back({t.param.mutable_device_data<float>(), t.grad.device_data<float>(),
                           t.m.mutable_device_data<float>(), t.v.mutable_device_data<float>(),
                           t.param.numel(), scalars});
      continue;
    }
#endif
    cpu::adamw_step(t.param.mutable_data<float>(), t.grad.data<float>(), t.m.mutable_data<float>(),
                    t.v.mutable_data<float>(), t.param.numel(), scalars);
  }
#if RETUNE_CUDA
  cuda::adamw_steps(on_device);
#endif
}

}  // namespace retune::ops
