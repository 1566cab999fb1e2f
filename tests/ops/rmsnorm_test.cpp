// What the rmsnorm specs cannot show: rejected arguments, dweight accumulation, skipped
// gradients and thread-count independence.
#include "ops/rmsnorm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/random_tensor.h"
#include "core/rng.h"
#include "core/threads.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

struct Norm {
  Tensor x, weight, out, rstd, dout;
};

Norm forward(int64_t N, int64_t C, uint64_t seed) {
  Norm n{uniform_tensor({N, C}, seed), uniform_tensor({C}, seed + 1, 0.5, 1.5),
         Tensor::empty({N, C}, DType::f32), Tensor::empty({N}, DType::f32),
         uniform_tensor({N, C}, seed + 2)};
  rmsnorm_forward(n.x, n.weight, n.out, n.rstd, 1e-6f);
  return n;
}

TEST(Rmsnorm, RejectsBadArgumentsNamingThem) {
  const Norm n = forward(3, 5, 1);
  auto fwd = [&](const Tensor& x, const Tensor& weight, const Tensor& out, const Tensor& rstd,
                 float eps) {
    return error_of([&] { rmsnorm_forward(x, weight, out, rstd, eps); });
  };
  EXPECT_EQ(fwd(n.x, uniform_tensor({4}, 2), n.out, n.rstd, 1e-6f),
            "rmsnorm_forward: weight is f32[4] on cpu, expected a contiguous f32[5] on cpu");
  EXPECT_THAT(fwd(n.x.reshape({15}), n.weight, n.out, n.rstd, 1e-6f),
              HasSubstr("rmsnorm_forward: x is f32[15] on cpu, expected a contiguous f32[N, C]"));
  EXPECT_THAT(fwd(n.x.to(DType::bf16), n.weight, n.out, n.rstd, 1e-6f),
              HasSubstr("x is bf16[3, 5] on cpu, expected a contiguous f32[N, C]"));
  // out may be bf16 (a norm that feeds only products), not another 16-bit dtype.
  EXPECT_EQ(fwd(n.x, n.weight, Tensor::empty({3, 5}, DType::f16), n.rstd, 1e-6f),
            "rmsnorm_forward: out is f16[3, 5] on cpu, expected a contiguous f32[3, 5] on cpu");
  EXPECT_THAT(fwd(n.x.transpose(0, 1), n.weight, n.out, n.rstd, 1e-6f),
              HasSubstr("x is f32[5, 3] on cpu, expected a contiguous f32[N, C]"));
  EXPECT_THAT(fwd(Tensor(), n.weight, n.out, n.rstd, 1e-6f),
              HasSubstr("rmsnorm_forward: x is undefined"));
  EXPECT_THAT(fwd(Tensor::empty({3, 0}, DType::f32), n.weight, n.out, n.rstd, 1e-6f),
              HasSubstr("x is f32[3, 0] on cpu, expected at least one column"));
  EXPECT_THAT(fwd(n.x, n.weight, Tensor::empty({3, 4}, DType::f32), n.rstd, 1e-6f),
              HasSubstr("out is f32[3, 4] on cpu, expected a contiguous f32[3, 5] on cpu"));
  EXPECT_THAT(fwd(n.x, n.weight, n.out, Tensor::empty({3, 1}, DType::f32), 1e-6f),
              HasSubstr("rstd is f32[3, 1] on cpu, expected a contiguous f32[3] on cpu"));
  EXPECT_THAT(fwd(n.x, n.weight, n.out, n.rstd, -1.0f),
              HasSubstr("rmsnorm_forward: eps is -1, expected a finite value >= 0"));
  EXPECT_THAT(fwd(n.x, n.weight, n.out, n.rstd, NAN), HasSubstr("eps is nan"));
  // out may be x itself (each row is read whole before it is written); not a shifted view of it.
  const Tensor flat = uniform_tensor({20}, 7);
  EXPECT_EQ(fwd(flat.slice(0, 0, 15).reshape({3, 5}), n.weight,
                flat.slice(0, 5, 20).reshape({3, 5}), n.rstd, 1e-6f),
            "rmsnorm_forward: out overlaps x; they must not share memory");
  const Tensor x = n.x.clone();
  EXPECT_EQ(fwd(x, n.weight, x, n.rstd, 1e-6f), "no error");

  auto bwd = [&](const Tensor& dout, const Tensor& rstd, const Tensor& dx, const Tensor& dw) {
    return error_of([&] { rmsnorm_backward(dout, n.x, n.weight, rstd, dx, dw); });
  };
  const Tensor dx = Tensor::empty({3, 5}, DType::f32);
  const Tensor dw = Tensor::zeros({5}, DType::f32);
  EXPECT_THAT(bwd(uniform_tensor({5, 3}, 3), n.rstd, dx, dw),
              HasSubstr("rmsnorm_backward: dout is f32[5, 3] on cpu, expected a contiguous "
                        "f32[3, 5]"));
  EXPECT_THAT(bwd(n.dout, Tensor::empty({2}, DType::f32), dx, dw),
              HasSubstr("rstd is f32[2] on cpu, expected a contiguous f32[3]"));
  EXPECT_THAT(bwd(n.dout, n.rstd, Tensor::empty({3, 5}, DType::bf16), dw),
              HasSubstr("dx is bf16[3, 5] on cpu, expected a contiguous f32[3, 5]"));
  EXPECT_THAT(bwd(n.dout, n.rstd, dx, Tensor::zeros({6}, DType::f32)),
              HasSubstr("rmsnorm_backward: dweight is f32[6] on cpu, expected a contiguous "
                        "f32[5]"));
  // dx added in place onto dout or x would change what the weight's gradient reads.
  const Tensor dout = n.dout.clone();
  EXPECT_EQ(bwd(dout, n.rstd, dout, dw),
            "rmsnorm_backward: dx overlaps dout; they must not share memory");
  EXPECT_EQ(error_of([&] { rmsnorm_backward(n.dout, n.x, n.weight, n.rstd, n.x, dw, true); }),
            "rmsnorm_backward: dx overlaps x; they must not share memory");
}

TEST(Rmsnorm, DweightAccumulatesAndDxIsOverwritten) {
  const Norm n = forward(9, 70, 4);
  const Tensor dx = uniform_tensor({9, 70}, 5);  // garbage: overwritten
  const Tensor once = Tensor::zeros({70}, DType::f32);
  rmsnorm_backward(n.dout, n.x, n.weight, n.rstd, dx, once);
  const std::vector<float> dx_once = dx.to_f32_vector();
  const Tensor twice = once.clone();
  rmsnorm_backward(n.dout, n.x, n.weight, n.rstd, dx, twice);
  EXPECT_EQ(dx.to_f32_vector(), dx_once);
  const std::vector<float> a = once.to_f32_vector();
  const std::vector<float> b = twice.to_f32_vector();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(b[i], 2 * a[i]) << i;
}

TEST(Rmsnorm, UndefinedGradientsAreSkipped) {
  const Norm n = forward(4, 9, 6);
  const Tensor dx = Tensor::empty({4, 9}, DType::f32);
  const Tensor dw = Tensor::zeros({9}, DType::f32);
  rmsnorm_backward(n.dout, n.x, n.weight, n.rstd, dx, dw);
  const Tensor dx_alone = Tensor::empty({4, 9}, DType::f32);
  rmsnorm_backward(n.dout, n.x, n.weight, n.rstd, dx_alone, Tensor());
  EXPECT_EQ(dx_alone.to_f32_vector(), dx.to_f32_vector());
  const Tensor dw_alone = Tensor::zeros({9}, DType::f32);
  rmsnorm_backward(n.dout, n.x, n.weight, n.rstd, Tensor(), dw_alone);
  EXPECT_EQ(dw_alone.to_f32_vector(), dw.to_f32_vector());
}

TEST(Rmsnorm, SameBitsForOneAndTwoThreads) {
  const int threads = num_threads();
  std::vector<std::vector<float>> results;
  for (int n : {1, 2}) {
    set_num_threads(n);
    const Norm norm = forward(33, 300, 7);
    const Tensor dx = Tensor::empty({33, 300}, DType::f32);
    const Tensor dw = Tensor::zeros({300}, DType::f32);
    rmsnorm_backward(norm.dout, norm.x, norm.weight, norm.rstd, dx, dw);
    for (const Tensor& t : {norm.out, norm.rstd, dx, dw}) results.push_back(t.to_f32_vector());
  }
  set_num_threads(threads);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(results[i], results[i + 4]) << i;
}

}  // namespace
}  // namespace retune::ops
