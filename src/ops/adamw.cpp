#include "ops/adamw.h"

#include <cmath>

#include "ops/cpu/adamw.h"

namespace retune::ops {

namespace {

// Checks that `arg` is a contiguous f32 tensor of param's shape on param's device.
void check_like_param(const char* arg, const Tensor& t, const Tensor& param) {
  RETUNE_CHECK(t.defined() && t.dtype() == DType::f32 && t.shape() == param.shape() &&
                   t.is_contiguous() && t.device() == param.device(),
               "adamw_step: {} is {}, expected a contiguous f32{} on {} like param", arg,
               t.defined() ? t.describe() : "undefined", param.shape().str(),
               device_name(param.device()));
}

}  // namespace

void adamw_step(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v,
                int64_t step, const AdamWOptions& o) {
  RETUNE_CHECK(param.defined() && param.dtype() == DType::f32 && param.is_contiguous(),
               "adamw_step: param is {}, expected a contiguous f32 tensor",
               param.defined() ? param.describe() : "undefined");
  RETUNE_CHECK(step >= 1, "adamw_step: step is {}, expected the 1-based step number", step);
  RETUNE_CHECK(o.lr >= 0 && std::isfinite(o.lr), "adamw_step: lr is {}, expected >= 0", o.lr);
  RETUNE_CHECK(o.beta1 >= 0 && o.beta1 < 1, "adamw_step: beta1 is {}, expected in [0, 1)", o.beta1);
  RETUNE_CHECK(o.beta2 >= 0 && o.beta2 < 1, "adamw_step: beta2 is {}, expected in [0, 1)", o.beta2);
  RETUNE_CHECK(o.eps >= 0 && std::isfinite(o.eps), "adamw_step: eps is {}, expected >= 0", o.eps);
  RETUNE_CHECK(o.weight_decay >= 0 && std::isfinite(o.weight_decay),
               "adamw_step: weight_decay is {}, expected >= 0", o.weight_decay);
  check_like_param("grad", grad, param);
  check_like_param("m", m, param);
  check_like_param("v", v, param);
  RETUNE_CHECK(param.device().is_cpu(), "adamw_step: no backend for {}",
               device_name(param.device()));
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
  cpu::adamw_step(param.mutable_data<float>(), grad.data<float>(), m.mutable_data<float>(),
                  v.mutable_data<float>(), param.numel(), scalars);
}

}  // namespace retune::ops
