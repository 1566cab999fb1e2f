// The GPU's elementwise kernels (swiglu, add, dropout) take eight elements a thread where every
// array is 16-byte aligned and one at a time otherwise (ops/cuda/element_types.cuh). The op specs
// run the vector path (fresh tensors are aligned; their sizes leave tails); these run both paths
// on views that start one element into their storage, against the CPU on the same values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "core/device.h"
#include "core/random_tensor.h"
#include "ops/add.h"
#include "ops/dropout.h"
#include "ops/swiglu.h"

namespace retune::ops {
namespace {

// 125 vectors and a tail of 3 where the arrays are aligned; one element at a time from element 1.
constexpr int64_t kElements = 1003;

// `values` of `dtype` on `device`, starting `skip` elements into their storage.
Tensor view_of(const Tensor& values, DType dtype, Device device, int64_t skip) {
  const Tensor storage = Tensor::zeros({values.numel() + skip}, dtype, device);
  const Tensor view = storage.slice(0, skip, skip + values.numel());
  view.copy_from(values.to(dtype).to(device));
  return view;
}

// The op `run` (its inputs, then its outputs, all of `dtype`) on the GPU, with every tensor
// starting `skip` elements into its storage, against the CPU on the same values.
void expect_gpu_matches_cpu(int inputs, int outputs, DType dtype, int64_t skip,
                            const std::function<void(const std::vector<Tensor>&)>& run) {
  std::vector<Tensor> values;
  for (int i = 0; i < inputs + outputs; ++i) {
    values.push_back(uniform_tensor({kElements}, 40 + static_cast<uint64_t>(i), -3.0, 3.0));
  }
  std::vector<Tensor> cpu, gpu;
  for (const Tensor& v : values) {
    cpu.push_back(view_of(v, dtype, Device::cpu(), skip));
    gpu.push_back(view_of(v, dtype, Device::cuda(0), skip));
  }
  run(cpu);
  run(gpu);
  // f32: the devices' expf differ in the last bits; bf16: a value that close to a rounding
  // boundary may round one step apart.
  const double rtol = dtype == DType::bf16 ? 8e-3 : 1e-5;
  for (int o = inputs; o < inputs + outputs; ++o) {
    const std::vector<float> want = cpu[static_cast<size_t>(o)].to_f32_vector();
    const std::vector<float> got = gpu[static_cast<size_t>(o)].to_f32_vector();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_NEAR(got[i], want[i], rtol * (1e-3 + std::fabs(want[i])))
          << "output " << o - inputs << " [" << i << "], " << dtype_name(dtype) << ", skip "
          << skip;
    }
  }
}

TEST(ElementwiseAlignment, GpuKernelsMatchTheCpuOnAlignedAndUnalignedViews) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  activate_device(Device::cuda(0));
  for (const DType dtype : {DType::f32, DType::bf16}) {
    for (const int64_t skip : {0, 1}) {
      expect_gpu_matches_cpu(2, 1, dtype, skip, [](const std::vector<Tensor>& t) {
        swiglu_forward(t[0], t[1], t[2]);
      });
      expect_gpu_matches_cpu(3, 2, dtype, skip, [](const std::vector<Tensor>& t) {
        swiglu_backward(t[0], t[1], t[2], t[3], t[4]);
      });
      expect_gpu_matches_cpu(2, 1, dtype, skip,
                             [](const std::vector<Tensor>& t) { add_forward(t[0], t[1], t[2]); });
      expect_gpu_matches_cpu(1, 1, dtype, skip, [](const std::vector<Tensor>& t) {
        dropout_forward(t[0], t[1], 0.25f, 11, 5);
      });
    }
  }
}

}  // namespace
}  // namespace retune::ops
