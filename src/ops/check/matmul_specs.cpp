#include <fmt/format.h>

#include <algorithm>
#include <cmath>

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
  // A 16-bit dtype for a 2-D operand: a frozen weight (no gradient), f32 for the other; or, with
  // activations, bf16 activations (both may be, and have gradients).
  DType a_dtype = DType::f32;
  DType b_dtype = DType::f32;
  // out's dtype; the backward's dout has it too (a bf16 activation's gradient is bf16).
  DType out_dtype = DType::f32;
  bool activations = false;
};

Shape operand_shape(int64_t batch, int64_t rows, int64_t cols) {
  return batch ? Shape{batch, rows, cols} : Shape{rows, cols};
}

std::string dtype_note(const char* operand, DType dtype) {
  return dtype == DType::f32 ? "" : fmt::format(" {} {}", operand, dtype_name(dtype));
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
  const bool a_grad = c.a_dtype == DType::f32 || c.activations;
  const bool b_grad = c.b_dtype == DType::f32 || c.activations;
  spec.variant = fmt::format("a{} b{} M={} N={} K={}{}{}{}{}{}", a_shape.str(), b_shape.str(), c.M,
                             c.N, c.K, c.trans_a ? " trans_a" : "", c.trans_b ? " trans_b" : "",
                             dtype_note("a", c.a_dtype), dtype_note("b", c.b_dtype),
                             dtype_note("out", c.out_dtype));
  spec.inputs = {{"a", a_shape, ArgKind::real, -1.0, 1.0, a_grad},
                 {"b", b_shape, ArgKind::real, -1.0, 1.0, b_grad}};
  spec.loss_outputs = {"out"};
  // A 16-bit operand is rounded to its dtype first: then the op does the same math as in f32.
  const auto stored = [=](const HostArrays& in) {
    return std::pair{stored_values(in.at("a"), c.a_dtype), stored_values(in.at("b"), c.b_dtype)};
  };
  spec.reference_forward = [=](const HostArrays& in) {
    const auto [a, b] = stored(in);
    HostArray out = host_zeros(out_shape);
    reference::matmul_forward<double>(a.data(), b.data(), out.values.data(), batch, c.M, c.N, c.K,
                                      c.trans_a, c.trans_b, a_stride, b_stride, 1.0, 0.0);
    return HostArrays{{"out", out}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays&, const HostArrays& d) {
    const auto [a, b] = stored(in);
    HostArray da = host_zeros(a_shape);
    HostArray db = host_zeros(b_shape);
    const std::vector<double> dout = stored_values(d.at("out"), c.out_dtype);
    reference::matmul_backward<double>(dout.data(), a.data(), b.data(),
                                       a_grad ? da.values.data() : nullptr,
                                       b_grad ? db.values.data() : nullptr, batch, c.M, c.N, c.K,
                                       c.trans_a, c.trans_b, a_stride, b_stride);
    HostArrays grads;
    if (a_grad) grads["da"] = da;
    if (b_grad) grads["db"] = db;
    return grads;
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor& a = in.at("a");
    Tensor out = Tensor::empty(out_shape, c.out_dtype, a.device());
    matmul_forward(a.to(c.a_dtype), in.at("b").to(c.b_dtype), out, {c.trans_a, c.trans_b});
    return Tensors{{"out", out}};
  };
  spec.backward = [=](const Tensors& in, const Tensors&, const Tensors& d) {
    const Tensor a = in.at("a").to(c.a_dtype);
    const Tensor b = in.at("b").to(c.b_dtype);
    MatmulGrads grads{a_grad ? Tensor::empty(a.shape(), DType::f32, a.device()) : Tensor(),
                      b_grad ? Tensor::empty(b.shape(), DType::f32, b.device()) : Tensor()};
    matmul_backward(d.at("out").to(c.out_dtype), a, b, grads, c.trans_a, c.trans_b);
    Tensors out;
    if (a_grad) out["da"] = grads.da;
    if (b_grad) out["db"] = grads.db;
    return out;
  };
  // f32 sums of K products of values in [-1, 1]: rounding grows like sqrt(K) * 6e-8 (also with a
  // 16-bit operand, which the reference rounds alike).
  spec.forward_tolerance = {1e-5, 1e-5};
  spec.backward_tolerance = {1e-5, 1e-5};
  // The GPU rounds each f32 operand to bf16 (relative 2^-8 at most each): every term of a sum
  // carries ~4e-3 relative error with a random sign, so a sum of S terms of size <= 1 errs by about
  // sqrt(S) * 4e-3 * E|ab|; S is K for out, N or M for the gradients. Four sigmas.
  const double terms = static_cast<double>(std::max({c.M, c.N, c.K}));
  spec.bf16_forward_tolerance = Tolerance{4 * std::sqrt(terms) * 4e-3 * 0.25 + 1e-3, 1e-2};
  spec.bf16_backward_tolerance = spec.bf16_forward_tolerance;
  if (c.out_dtype == DType::bf16) {
    // The output's own rounding (relative 2^-8 at most) comes on top; dout is rounded in the
    // reference.
    spec.forward_tolerance.rtol += 4e-3;
    spec.bf16_forward_tolerance->rtol += 4e-3;
  }
  // The op is linear in each operand: central differences are exact up to rounding. A reference
  // that rounds an operand to 16 bits is a step function of it; the f32 cases check the same
  // reference gradients.
  spec.finite_difference_tolerance = {1e-7, 1e-7};
  spec.check_finite_differences = c.M * c.N * c.K < 5000 && !c.activations;
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
  // One small dimension (ops/cpu/narrow_gemm.h: LoRA's products), with partial tiles.
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      specs.push_back(matmul_spec({0, 0, 300, 13, 140, ta, tb}));  // few columns
      specs.push_back(matmul_spec({0, 0, 13, 300, 140, ta, tb}));  // few rows
      specs.push_back(matmul_spec({0, 0, 300, 140, 13, ta, tb}));  // a short sum
    }
  }
  specs.push_back(matmul_spec({0, 0, 259, 16, 130, false, true}));  // x A^T at r = 16
  specs.push_back(matmul_spec({0, 0, 259, 130, 64, false, true}));  // (xA) B^T at r = 64
  // One 16-bit operand (a frozen weight), converted block by block, or row by row for one f32
  // line (ops/cpu/gemm.h): forward and the f32 operand's gradient.
  for (DType half : {DType::bf16, DType::f16}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        specs.push_back(matmul_spec({0, 0, 3, 5, 7, ta, tb, DType::f32, half}));
        specs.push_back(matmul_spec({3, 0, 2, 5, 3, ta, tb, DType::f32, half}));   // a linear layer
        specs.push_back(matmul_spec({0, 0, 1, 19, 4, ta, tb, DType::f32, half}));  // one token
        specs.push_back(matmul_spec({3, 0, 1, 5, 3, ta, tb, DType::f32, half}));
        specs.push_back(matmul_spec({0, 0, 6, 1, 4, ta, tb, DType::f32, half}));  // one column
        specs.push_back(matmul_spec({0, 0, 5, 3, 7, ta, tb, half, DType::f32}));  // 16-bit a
        specs.push_back(matmul_spec({0, 3, 5, 2, 3, ta, tb, half, DType::f32}));
        specs.push_back(matmul_spec({0, 0, 7, 1, 5, ta, tb, half, DType::f32}));
      }
    }
  }
  // Odd sizes over several pieces of unequal size: a decode step's 1000 weight rows of 300 (or a
  // [300, 1000] weight's rows in 16 chunks of 19), and tiles (gemm.cpp makes at least 8 where
  // there are 8 lines to split; chunks of the f32 operand have 256 lines).
  specs.push_back(matmul_spec({0, 0, 1, 1000, 300, false, true, DType::f32, DType::bf16}));
  specs.push_back(matmul_spec({0, 0, 1, 1000, 300, false, false, DType::f32, DType::f16}));
  specs.push_back(matmul_spec({0, 0, 67, 129, 257, false, true, DType::f32, DType::bf16}));
  specs.push_back(matmul_spec({4, 0, 33, 65, 100, false, false, DType::f32, DType::bf16}));
  specs.push_back(matmul_spec({0, 0, 203, 17, 129, true, false, DType::bf16, DType::f32}));
  // bf16 activations (a model's MLP on a GPU): a gate projection's bf16 output from an f32 input
  // and its bf16 gradient (two 16-bit operands in the backward), the down projection's bf16 input
  // and its gradient, and two bf16 activations.
  const DType bf16 = DType::bf16, f32 = DType::f32;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      specs.push_back(matmul_spec({0, 0, 37, 45, 29, ta, tb, f32, bf16, bf16, true}));
      specs.push_back(matmul_spec({0, 0, 37, 29, 45, ta, tb, bf16, bf16, f32, true}));
      specs.push_back(matmul_spec({0, 0, 5, 3, 7, ta, tb, bf16, bf16, bf16, true}));
    }
  }
  specs.push_back(matmul_spec({3, 0, 2, 5, 3, false, true, f32, bf16, bf16, true}));  // batched
  specs.push_back(matmul_spec({0, 0, 67, 129, 257, false, true, bf16, bf16, bf16, true}));
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      specs.push_back(matmul_spec({0, 0, 300, 7, 33, ta, tb, DType::f32, DType::bf16}));
      specs.push_back(matmul_spec({0, 0, 7, 300, 33, ta, tb, DType::bf16, DType::f32}));
      specs.push_back(matmul_spec({2, 0, 260, 5, 9, ta, tb, DType::f32, DType::bf16}));
    }
  }
  return specs;
}

}  // namespace retune::ops
