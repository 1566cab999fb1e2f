// The check the adapters' GPU tests share: an adapter moved to a device computes what the same
// adapter computes on the CPU, within the device's bf16 products.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "adapters/adapter_parameter.h"
#include "core/tensor.h"
#include "model/linear_adapter.h"

namespace retune {

// Runs forward() on x [N, I] and a copy of z [N, O], then backward() with dz [N, O] into dx (onto
// ones, accumulated), for `on_cpu` with host tensors and for `moved` (the same adapter, its
// parameters equal, moved to `device`) with copies there; expects the adapted z, dx, the returned
// gradient of the base product and every parameter gradient to agree within 2e-2 (1 + |value|).
inline void expect_same_on_device(model::LinearAdapter& on_cpu,
                                  const std::vector<adapters::AdapterParameter>& cpu_parameters,
                                  model::LinearAdapter& moved,
                                  const std::vector<adapters::AdapterParameter>& moved_parameters,
                                  const Tensor& x, const Tensor& z, const Tensor& dz,
                                  Device device) {
  const auto expect_close = [](const Tensor& want, const Tensor& got, const std::string& what) {
    const std::vector<float> a = want.to_f32_vector(), b = got.to_f32_vector();
    ASSERT_EQ(a.size(), b.size()) << what;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_NEAR(b[i], a[i], 2e-2 * (1 + std::fabs(a[i]))) << what << " " << i;
    }
  };
  const Tensor z_cpu = z.clone(), z_moved = z.to(device);
  const Tensor dx_cpu = Tensor::zeros(x.shape(), DType::f32);
  dx_cpu.fill(1.0);
  const Tensor dx_moved = dx_cpu.to(device);
  on_cpu.forward(x, z_cpu);
  moved.forward(x.to(device), z_moved);
  expect_close(z_cpu, z_moved, "z");
  const Tensor base_cpu = on_cpu.backward(x, dz, dx_cpu, true);
  const Tensor base_moved = moved.backward(x.to(device), dz.to(device), dx_moved, true);
  expect_close(dx_cpu, dx_moved, "dx");
  expect_close(base_cpu, base_moved, "the base product's gradient");
  ASSERT_EQ(cpu_parameters.size(), moved_parameters.size());
  for (size_t p = 0; p < cpu_parameters.size(); ++p) {
    EXPECT_EQ(moved_parameters[p].value.device(), device) << cpu_parameters[p].name;
    expect_close(cpu_parameters[p].grad, moved_parameters[p].grad, cpu_parameters[p].name);
  }
}

}  // namespace retune
