// What the layernorm specs cannot show: rejected arguments, dweight / dbias accumulation,
// skipped gradients and thread-count independence.
#include "ops/layernorm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "core/rng.h"
#include "core/threads.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

struct Norm {
  Tensor x, weight, bias, out, mean, rstd, dout;
};

Norm forward(int64_t N, int64_t C, uint64_t seed) {
  Norm n{uniform_tensor({N, C}, seed),
         uniform_tensor({C}, seed + 1, 0.5, 1.5),
         uniform_tensor({C}, seed + 2, -0.5, 0.5),
         Tensor::empty({N, C}, DType::f32),
         Tensor::empty({N}, DType::f32),
         Tensor::empty({N}, DType::f32),
         uniform_tensor({N, C}, seed + 3)};
  layernorm_forward(n.x, n.weight, n.bias, n.out, n.mean, n.rstd, 1e-5f);
  return n;
}

struct Grads {
  Tensor dx, dweight, dbias;
};

Grads backward(const Norm& n, Grads g) {
  layernorm_backward(n.dout, n.x, n.weight, n.mean, n.rstd, g.dx, g.dweight, g.dbias);
  return g;
}

TEST(Layernorm, RejectsBadArgumentsNamingThem) {
  const Norm n = forward(3, 5, 1);
  auto fwd = [&](const Tensor& x, const Tensor& bias, const Tensor& mean, float eps) {
    return error_of([&] { layernorm_forward(x, n.weight, bias, n.out, mean, n.rstd, eps); });
  };
  EXPECT_EQ(fwd(n.x, uniform_tensor({3}, 2), n.mean, 1e-5f),
            "layernorm_forward: bias is f32[3] on cpu, expected a contiguous f32[5] on cpu");
  EXPECT_THAT(fwd(n.x.to(DType::f16), n.bias, n.mean, 1e-5f),
              HasSubstr("layernorm_forward: x is f16[3, 5] on cpu, expected a contiguous "
                        "f32[N, C]"));
  EXPECT_THAT(fwd(n.x, n.bias, Tensor::empty({5}, DType::f32), 1e-5f),
              HasSubstr("mean is f32[5] on cpu, expected a contiguous f32[3] on cpu"));
  EXPECT_THAT(fwd(n.x, n.bias, n.mean, -1e-5f),
              HasSubstr("layernorm_forward: eps is -1e-05, expected a finite value >= 0"));
  EXPECT_THAT(fwd(Tensor::empty({2, 0}, DType::f32), n.bias, n.mean, 1e-5f),
              HasSubstr("x is f32[2, 0] on cpu, expected at least one column"));

  const Grads g{Tensor::empty({3, 5}, DType::f32), Tensor::zeros({5}, DType::f32),
                Tensor::zeros({5}, DType::f32)};
  EXPECT_THAT(error_of([&] {
                backward(n, {g.dx, g.dweight, Tensor::zeros({4}, DType::f32)});
              }),
              HasSubstr("layernorm_backward: dbias is f32[4] on cpu, expected a contiguous "
                        "f32[5]"));
  EXPECT_THAT(error_of([&] {
                backward(n, {g.dx, Tensor::zeros({5}, DType::bf16), g.dbias});
              }),
              HasSubstr("dweight is bf16[5] on cpu, expected a contiguous f32[5]"));
  EXPECT_THAT(error_of([&] {
                backward(n, {Tensor::empty({3, 4}, DType::f32), g.dweight});
              }),
              HasSubstr("dx is f32[3, 4] on cpu, expected a contiguous f32[3, 5]"));
  EXPECT_THAT(error_of([&] {
                layernorm_backward(n.dout, n.x, n.weight, n.rstd.reshape({3, 1}), n.rstd, g.dx,
                                   g.dweight, g.dbias);
              }),
              HasSubstr("mean is f32[3, 1] on cpu, expected a contiguous f32[3]"));
  // dx added in place onto dout or x would change what the weight's gradient reads.
  const Tensor dout = n.dout.clone();
  EXPECT_EQ(error_of([&] {
              layernorm_backward(dout, n.x, n.weight, n.mean, n.rstd, dout, g.dweight, g.dbias,
                                 true);
            }),
            "layernorm_backward: dx overlaps dout; they must not share memory");
  EXPECT_EQ(error_of([&] {
              layernorm_backward(n.dout, n.x, n.weight, n.mean, n.rstd, n.x, g.dweight, g.dbias);
            }),
            "layernorm_backward: dx overlaps x; they must not share memory");
}

TEST(Layernorm, ParameterGradientsAccumulateAndDxIsOverwritten) {
  const Norm n = forward(9, 70, 4);
  const Grads once = backward(n, {uniform_tensor({9, 70}, 5), Tensor::zeros({70}, DType::f32),
                                  Tensor::zeros({70}, DType::f32)});
  const std::vector<float> dx_once = once.dx.to_f32_vector();
  const Grads twice = backward(n, {once.dx, once.dweight.clone(), once.dbias.clone()});
  EXPECT_EQ(twice.dx.to_f32_vector(), dx_once);
  for (auto [a_tensor, b_tensor] :
       {std::pair{once.dweight, twice.dweight}, std::pair{once.dbias, twice.dbias}}) {
    const std::vector<float> a = a_tensor.to_f32_vector();
    const std::vector<float> b = b_tensor.to_f32_vector();
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(b[i], 2 * a[i]) << i;
  }
}

TEST(Layernorm, UndefinedGradientsAreSkipped) {
  const Norm n = forward(4, 9, 6);
  const Grads all = backward(n, {Tensor::empty({4, 9}, DType::f32), Tensor::zeros({9}, DType::f32),
                                 Tensor::zeros({9}, DType::f32)});
  const Grads dx_only = backward(n, {Tensor::empty({4, 9}, DType::f32), Tensor(), Tensor()});
  EXPECT_EQ(dx_only.dx.to_f32_vector(), all.dx.to_f32_vector());
  const Grads dbias_only = backward(n, {Tensor(), Tensor(), Tensor::zeros({9}, DType::f32)});
  EXPECT_EQ(dbias_only.dbias.to_f32_vector(), all.dbias.to_f32_vector());
  const Grads dweight_only = backward(n, {Tensor(), Tensor::zeros({9}, DType::f32), Tensor()});
  EXPECT_EQ(dweight_only.dweight.to_f32_vector(), all.dweight.to_f32_vector());
}

TEST(Layernorm, SameBitsForOneAndTwoThreads) {
  const int threads = num_threads();
  std::vector<std::vector<float>> results;
  for (int n : {1, 2}) {
    set_num_threads(n);
    const Norm norm = forward(33, 300, 7);
    const Grads g =
        backward(norm, {Tensor::empty({33, 300}, DType::f32), Tensor::zeros({300}, DType::f32),
                        Tensor::zeros({300}, DType::f32)});
    for (const Tensor& t : {norm.out, norm.mean, norm.rstd, g.dx, g.dweight, g.dbias}) {
      results.push_back(t.to_f32_vector());
    }
  }
  set_num_threads(threads);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(results[i], results[i + 6]) << i;
}

}  // namespace
}  // namespace retune::ops
