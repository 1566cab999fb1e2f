#include "ops/sgd.h"

#include <cmath>

#include "ops/cpu/sgd.h"

namespace retune::ops {

namespace {

// Checks that `arg` is a contiguous f32 tensor of param's shape on param's device.
void check_like_param(const char* arg, const Tensor& t, const Tensor& param) {
  RETUNE_CHECK(t.defined() && t.dtype() == DType::f32 && t.shape() == param.shape() &&
                   t.is_contiguous() && t.device() == param.device(),
               "sgd_step: {} is {}, expected a contiguous f32{} on {} like param", arg,
               t.defined() ? t.describe() : "undefined", param.shape().str(),
               device_name(param.device()));
}

}  // namespace

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
              bool first_step, const SgdOptions& o) {
  RETUNE_CHECK(param.defined() && param.dtype() == DType::f32 && param.is_contiguous(),
               "sgd_step: param is {}, expected a contiguous f32 tensor",
               param.defined() ? param.describe() : "undefined");
  RETUNE_CHECK(o.lr >= 0 && std::isfinite(o.lr), "sgd_step: lr is {}, expected >= 0", o.lr);
  RETUNE_CHECK(o.momentum >= 0 && std::isfinite(o.momentum),
               "sgd_step: momentum is {}, expected >= 0", o.momentum);
  RETUNE_CHECK(std::isfinite(o.dampening), "sgd_step: dampening is {}, expected finite",
               o.dampening);
  RETUNE_CHECK(o.weight_decay >= 0 && std::isfinite(o.weight_decay),
               "sgd_step: weight_decay is {}, expected >= 0", o.weight_decay);
  RETUNE_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
               "sgd_step: nesterov needs momentum > 0 and dampening 0, got momentum {} and "
               "dampening {}",
               o.momentum, o.dampening);
  check_like_param("grad", grad, param);
  float* buffer = nullptr;
  if (o.momentum != 0) {
    check_like_param("momentum_buffer", momentum_buffer, param);
    buffer = momentum_buffer.mutable_data<float>();
  }
  RETUNE_CHECK(param.device().is_cpu(), "sgd_step: no backend for {}", device_name(param.device()));
  const cpu::SgdScalars scalars{static_cast<float>(o.lr),
                                static_cast<float>(o.momentum),
                                static_cast<float>(1 - o.dampening),
                                static_cast<float>(o.weight_decay),
                                o.nesterov,
                                first_step};
  cpu::sgd_step(param.mutable_data<float>(), grad.data<float>(), buffer, param.numel(), scalars);
}

}  // namespace retune::ops
