// S2ftBlock on one linear: the gradients agree with central differences, and with the dense
// reference (training the block is training W under a gradient mask on its slice); fuse() adds
// the block into W's slice.
#include "adapters/s2ft_block.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/device.h"
#include "core/random_tensor.h"
#include "ops/matmul.h"
#include "support/adapter_on_device.h"
#include "support/error_of.h"

namespace retune::adapters {
namespace {

constexpr int64_t kN = 5, kIn = 12, kOut = 10;

struct Case {
  S2ftAxis axis;
  int64_t begin, end;
};

// L = sum(r * adapted(x W^T)) for fixed r.
double loss(S2ftBlock& block, const Tensor& x, const Tensor& w, const Tensor& r) {
  const Tensor z = Tensor::empty({kN, kOut}, DType::f32);
  ops::matmul_forward(x, w, z, {.trans_b = true});
  block.forward(x, z);
  const std::vector<float> zv = z.to_f32_vector(), rv = r.to_f32_vector();
  double sum = 0;
  for (size_t i = 0; i < zv.size(); ++i) sum += static_cast<double>(zv[i]) * rv[i];
  return sum;
}

class S2ftBlockCase : public testing::TestWithParam<Case> {};

TEST_P(S2ftBlockCase, GradientsMatchCentralDifferencesAndTheMaskedDenseGradient) {
  const Case c = GetParam();
  S2ftBlock block(kOut, kIn, c.axis, c.begin, c.end);
  const Tensor x = uniform_tensor({kN, kIn}, 1);
  const Tensor w = uniform_tensor({kOut, kIn}, 2);
  const Tensor r = uniform_tensor({kN, kOut}, 3);  // dL/dz
  const AdapterParameter s = block.parameters().at(0);
  s.value.copy_from(uniform_tensor(s.value.shape(), 4, -0.5, 0.5));
  loss(block, x, w, r);
  const Tensor dx = Tensor::empty({kN, kIn}, DType::f32);
  const Tensor base_grad = block.backward(x, r, dx, false);
  EXPECT_EQ(base_grad.to_f32_vector(), r.to_f32_vector());

  // Central differences of every entry of S and of x.
  const double eps = 1e-2;
  const std::vector<float> grad = s.grad.to_f32_vector();
  float* sv = s.value.mutable_data<float>();
  for (int64_t i = 0; i < s.value.numel(); ++i) {
    const float keep = sv[i];
    sv[i] = keep + static_cast<float>(eps);
    const double up = loss(block, x, w, r);
    sv[i] = keep - static_cast<float>(eps);
    const double down = loss(block, x, w, r);
    sv[i] = keep;
    EXPECT_NEAR((up - down) / (2 * eps), grad[static_cast<size_t>(i)], 1e-3) << "S " << i;
  }
  // dx is the block's own path: dz times S placed at its slice of a zero [O, I].
  const Tensor placed = Tensor::zeros({kOut, kIn}, DType::f32);
  block.fuse(placed);
  const Tensor dx_dense = Tensor::empty({kN, kIn}, DType::f32);
  ops::matmul_forward(r, placed, dx_dense, {});
  const std::vector<float> got = dx.to_f32_vector(), want = dx_dense.to_f32_vector();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "dx " << i;

  // The dense reference: dL/dW = r^T x, masked to the block's slice, is the block's gradient.
  const Tensor dw = Tensor::empty({kOut, kIn}, DType::f32);
  ops::matmul_forward(r, x, dw, {.trans_a = true});
  const Tensor masked =
      c.axis == S2ftAxis::columns ? dw.slice(1, c.begin, c.end) : dw.slice(0, c.begin, c.end);
  const std::vector<float> dense = masked.contiguous().to_f32_vector();
  ASSERT_EQ(dense.size(), grad.size());
  for (size_t i = 0; i < grad.size(); ++i) EXPECT_NEAR(grad[i], dense[i], 1e-5) << i;

  // With accumulate_dx the block's path adds to dx.
  loss(block, x, w, r);
  const Tensor ones = Tensor::zeros({kN, kIn}, DType::f32);
  ones.fill(1.0);
  block.backward(x, r, ones, true);
  const Tensor alone = Tensor::empty({kN, kIn}, DType::f32);
  loss(block, x, w, r);
  block.backward(x, r, alone, false);
  const std::vector<float> added = ones.to_f32_vector(), path = alone.to_f32_vector();
  for (size_t i = 0; i < added.size(); ++i) EXPECT_NEAR(added[i], path[i] + 1.0f, 1e-5);
}

TEST_P(S2ftBlockCase, FuseChangesOnlyTheSlice) {
  const Case c = GetParam();
  S2ftBlock block(kOut, kIn, c.axis, c.begin, c.end);
  const AdapterParameter s = block.parameters().at(0);
  s.value.fill(1.0);
  const Tensor w = Tensor::zeros({kOut, kIn}, DType::f32);
  block.fuse(w);
  const std::vector<float> v = w.to_f32_vector();
  for (int64_t o = 0; o < kOut; ++o) {
    for (int64_t i = 0; i < kIn; ++i) {
      const int64_t at = c.axis == S2ftAxis::columns ? i : o;
      const float expected = at >= c.begin && at < c.end ? 1.0f : 0.0f;
      EXPECT_EQ(v[static_cast<size_t>(o * kIn + i)], expected) << o << " " << i;
    }
  }
}

// On a GPU (move_to) the block computes what it does on the CPU within the GPU's bf16 products,
// for a batch of rows and for one row (a decode step's).
TEST_P(S2ftBlockCase, GpuMatchesTheCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  const Case c = GetParam();
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  for (const int64_t rows : {kN, int64_t{1}}) {
    SCOPED_TRACE(rows);
    S2ftBlock cpu(kOut, kIn, c.axis, c.begin, c.end), moved(kOut, kIn, c.axis, c.begin, c.end);
    const Tensor value = uniform_tensor(cpu.value().shape(), 4, -0.5, 0.5);
    cpu.parameters().at(0).value.copy_from(value);
    moved.parameters().at(0).value.copy_from(value);
    moved.move_to(gpu);
    expect_same_on_device(cpu, cpu.parameters(), moved, moved.parameters(),
                          uniform_tensor({rows, kIn}, 1), uniform_tensor({rows, kOut}, 2),
                          uniform_tensor({rows, kOut}, 3), gpu);
  }
}

INSTANTIATE_TEST_SUITE_P(S2ftSlices, S2ftBlockCase,
                         testing::Values(Case{S2ftAxis::columns, 3, 8},
                                         Case{S2ftAxis::columns, 0, 12}, Case{S2ftAxis::rows, 2, 6},
                                         Case{S2ftAxis::rows, 9, 10}, Case{S2ftAxis::rows, 0, 10}),
                         [](const testing::TestParamInfo<Case>& param) {
                           return std::string(param.param.axis == S2ftAxis::columns ? "columns"
                                                                                    : "rows") +
                                  std::to_string(param.param.begin) + "_" +
                                  std::to_string(param.param.end);
                         });

TEST(S2ftBlock, RejectsAnEmptyOrOutOfRangeSlice) {
  EXPECT_NE(
      error_of([] { S2ftBlock(4, 6, S2ftAxis::columns, 3, 3); }).find("empty or out of range"),
      std::string::npos);
  EXPECT_NE(error_of([] { S2ftBlock(4, 6, S2ftAxis::rows, 2, 5); }).find("[2, 5)"),
            std::string::npos);
}

}  // namespace
}  // namespace retune::adapters
