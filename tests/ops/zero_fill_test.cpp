// zero_fill zeroes every tensor it is given: on the CPU, and on a GPU across the launch batches
// of contiguous f32 tensors, with a bf16 tensor and (on the CPU) a strided view among them, which
// take Tensor::fill's path, and an empty tensor.
#include "ops/zero_fill.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/device.h"
#include "core/random_tensor.h"

namespace retune::ops {
namespace {

void expect_zeroed(Device device) {
  std::vector<Tensor> tensors;
  for (int i = 0; i < 205; ++i) {  // one GPU launch takes 200
    const int64_t n = i == 7 ? 0 : 1 + 300 * (i % 4);
    tensors.push_back(uniform_tensor({n}, static_cast<uint64_t>(i) + 1).to(device));
  }
  tensors.push_back(uniform_tensor({5}, 1000).to(DType::bf16).to(device));
  // A strided view (a column slice; on a GPU filled by a pitched copy): the columns beside it are
  // left as they were.
  const Tensor matrix = uniform_tensor({4, 6}, 999).to(device);
  tensors.push_back(matrix.slice(1, 0, 3));
  const std::vector<float> before = matrix.to_f32_vector();
  zero_fill(tensors);
  for (size_t i = 0; i < tensors.size(); ++i) {
    for (const float value : tensors[i].to_f32_vector()) ASSERT_EQ(value, 0.0f) << i;
  }
  const std::vector<float> after = matrix.to_f32_vector();
  for (size_t at = 0; at < after.size(); ++at) {
    EXPECT_EQ(after[at], device.is_cpu() && at % 6 < 3 ? 0.0f : before[at]) << at;
  }
}

TEST(ZeroFill, ZeroesEveryTensor) {
  expect_zeroed(Device::cpu());
}

TEST(ZeroFill, GpuZeroesEveryTensor) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  activate_device(Device::cuda(0));
  expect_zeroed(Device::cuda(0));
}

}  // namespace
}  // namespace retune::ops
