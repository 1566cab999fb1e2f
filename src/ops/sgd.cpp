#include "ops/sgd.h"

#include <cmath>

#include "ops/arg_checks.h"
#include "ops/cpu/sgd.h"

#if RETUNE_CUDA
#include "ops/cuda/sgd.h"
#endif

namespace retune::ops {

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
              bool first_step, const SgdOptions& o) {
  RETUNE_CHECK(param.defined(), "sgd_step: param is undefined");
  check_output("sgd_step", "param", param, DType::f32, param.shape(), param.device());
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
  check_tensor("sgd_step", "grad", grad, DType::f32, param.shape(), param.device());
  float* buffer = nullptr;
  if (o.momentum != 0) {
    check_output("sgd_step", "momentum_buffer", momentum_buffer, DType::f32, param.shape(),
                 param.device());
    buffer = momentum_buffer.mutable_device_data<float>();  // a host pointer for a CPU tensor
  }
  check_backend("sgd_step", param.device());
  const cpu::SgdScalars scalars{static_cast<float>(o.lr),
                                static_cast<float>(o.momentum),
                                static_cast<float>(1 - o.dampening),
                                static_cast<float>(o.weight_decay),
                                o.nesterov,
                                first_step};
#if RETUNE_CUDA
  if (!param.device().is_cpu()) {
    cuda::sgd_step(param.mutable_device_data<float>(), grad.device_data<float>(), buffer,
                   param.numel(), scalars);
    return;
  }
#endif
  cpu::sgd_step(param.mutable_data<float>(), grad.data<float>(), buffer, param.numel(), scalars);
}

}  // namespace retune::ops
