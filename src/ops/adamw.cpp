#include "ops/adamw.h"

#include <cmath>

#include "ops/arg_checks.h"
#include "ops/cpu/adamw.h"

#if RETUNE_CUDA
#include "ops/cuda/adamw.h"
#endif

namespace retune::ops {

void adamw_step(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v,
                int64_t step, const AdamWOptions& o) {
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
  const cpu::AdamWScalars scalars{
      static_cast<float>(1 - o.lr * o.weight_decay),
      static_cast<float>(o.beta1),
      static_cast<float>(1 - o.beta1),
      static_cast<float>(o.beta2),
      static_cast<float>(1 - o.beta2),
      static_cast<float>(o.lr / (1 - std::pow(o.beta1, t))),
      static_cast<float>(std::sqrt(1 - std::pow(o.beta2, t))),
      static_cast<float>(o.eps),
  };
#if RETUNE_CUDA
  if (!param.device().is_cpu()) {
    cuda::adamw_step(param.mutable_device_data<float>(), grad.device_data<float>(),
                     m.mutable_device_data<float>(), v.mutable_device_data<float>(), param.numel(),
                     scalars);
    return;
  }
#endif
  cpu::adamw_step(param.mutable_data<float>(), grad.data<float>(), m.mutable_data<float>(),
                  v.mutable_data<float>(), param.numel(), scalars);
}

}  // namespace retune::ops
