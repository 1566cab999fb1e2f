#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/matmul.h"
#include "ops/reference/matmul.h"

namespace retune::ops {

namespace {

struct MatmulCase {
  int64_t a_batch;  // 0: a is 2-D
  int64_t b_batch;  // 0: b is 2-D
  int64_t M, N, K;
  bool trans_a, trans_b;
};

Shape operand_shape(int64_t batch, int64_t rows, int64_t cols) {
  return batch ? Shape{batch, rows, cols} : Shape{rows, cols};
}

OpSpec matmul_spec(MatmulCase c) {
  const int64_t batch = std::max<int64_t>({c.a_batch, c.b_batch, 1});
  const Shape a_shape = operand_shape(c.a_batch, c.trans_a ? c.K : c.M, c.trans_a ? c.M : c.K);
  const Shape b_shape = operand_shape(c.b_batch, c.trans_b ? c.N : c.K, c.trans_b ? c.K : c.N);
  const Shape out_shape = operand_shape(std::max(c.a_batch, c.b_batch), c.M, c.N);
  const int64_t a_stride = c.a_batch ? c.M * c.K : 0;
  const int64_t b_stride = c.b_batch ? c.K * c.N : 0;

  OpSpec spec;
  spec.op = "matmul";
  spec.variant = fmt::format("a{} b{} M={} N={} K={}{}{}", a_shape.str(), b_shape.str(), c.M, c.N,
                             c.K, c.trans_a ? " trans_a" : "", c.trans_b ? " trans_b" : "");
  spec.inputs = {{"a", a_shape}, {"b", b_shape}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = host_zeros(out_shape);
    reference::matmul_forward<double>(in.at("a").values.data(), in.at("b").values.data(),
                                      out.values.data(), batch, c.M, c.N, c.K, c.trans_a, c.trans_b,
                                      a_stride, b_stride, 1.0, 0.0);
    return HostArrays{{"out", out}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays&, const HostArrays& d) {
    HostArray da = host_zeros(a_shape);
    HostArray db = host_zeros(b_shape);
    reference::matmul_backward<double>(d.at("out").values.data(), in.at("a").values.data(),
                                       in.at("b").values.data(), da.values.data(), db.values.data(),
                                       batch, c.M, c.N, c.K, c.trans_a, c.trans_b, a_stride,
                                       b_stride);
    return HostArrays{{"da", da}, {"db", db}};
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor& a = in.at("a");
    Tensor out = Tensor::empty(out_shape, DType::f32, a.device());
    matmul_forward(a, in.at("b"), out, {c.trans_a, c.trans_b});
    return Tensors{{"out", out}};
  };
  spec.backward = [=](const Tensors& in, const Tensors&, const Tensors& d) {
    const Tensor& a = in.at("a");
    const Tensor& b = in.at("b");
    MatmulGrads grads{Tensor::empty(a.shape(), DType::f32, a.device()),
                      Tensor::empty(b.shape(), DType::f32, b.device())};
    matmul_backward(d.at("out"), a, b, grads, c.trans_a, c.trans_b);
    return Tensors{{"da", grads.da}, {"db", grads.db}};
  };
  // f32 sums of K products of values in [-1, 1]: rounding grows like sqrt(K) * 6e-8.
  spec.forward_tolerance = {1e-5, 1e-5};
  spec.backward_tolerance = {1e-5, 1e-5};
  // The op is linear in each operand: central differences are exact up to rounding.
  spec.finite_difference_tolerance = {1e-7, 1e-7};
  spec.check_finite_differences = c.M * c.N * c.K < 5000;
  return spec;
}

}  // namespace

std::vector<OpSpec> matmul_specs() {
  std::vector<OpSpec> specs;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      specs.push_back(matmul_spec({0, 0, 3, 5, 7, ta, tb}));
      specs.push_back(matmul_spec({2, 2, 4, 3, 5, ta, tb}));  // batched
      specs.push_back(matmul_spec({3, 0, 2, 5, 3, ta, tb}));  // shared b (a linear layer)
      specs.push_back(matmul_spec({0, 3, 5, 2, 3, ta, tb}));  // shared a
      // A row or a column: matrix-vector products (sgemv), forward and backward.
      specs.push_back(matmul_spec({0, 0, 1, 6, 4, ta, tb}));
      specs.push_back(matmul_spec({0, 0, 6, 1, 4, ta, tb}));
      specs.push_back(matmul_spec({3, 0, 1, 5, 3, ta, tb}));
    }
  }
  specs.push_back(matmul_spec({0, 0, 1, 1, 1, false, false}));  // one element
  specs.push_back(matmul_spec({0, 0, 1, 17, 9, false, true}));  // one token
  // Large and awkward: exercises OpenBLAS's blocked kernels and the threaded paths.
  specs.push_back(matmul_spec({0, 0, 67, 129, 257, false, true}));
  specs.push_back(matmul_spec({4, 0, 33, 65, 100, false, true}));
  specs.push_back(matmul_spec({8, 8, 31, 17, 64, false, true}));
  return specs;
}

}  // namespace retune::ops
