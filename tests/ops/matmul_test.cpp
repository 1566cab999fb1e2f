// What the matmul specs cannot show: alpha/beta, gradient accumulation, strided and transposed
// views as operands, an empty batch, a 16-bit weight at a real model's sizes and its thread-count
// independence, and the errors for bad arguments.
#include "ops/matmul.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/device.h"
#include "core/random_tensor.h"
#include "core/threads.h"
#include "ops/add.h"
#include "ops/cpu/narrow_gemm.h"
#if RETUNE_CUDA
#include "ops/cuda/kept_operands.h"
#endif
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

void expect_near(const Tensor& got, const Tensor& want, float tolerance) {
  const std::vector<float> g = got.to_f32_vector(), w = want.to_f32_vector();
  ASSERT_EQ(g.size(), w.size());
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], tolerance) << "at " << i;
}

Tensor product(const Tensor& a, const Tensor& b, MatmulOptions options = {}) {
  const int64_t M = options.trans_a ? a.size(1) : a.size(0);
  const int64_t N = options.trans_b ? b.size(0) : b.size(1);
  const Tensor out = Tensor::zeros({M, N}, DType::f32);
  matmul_forward(a, b, out, options);
  return out;
}

TEST(Matmul, AlphaScalesAndBetaAddsTheOldOutput) {
  const Tensor a = uniform_tensor({3, 4}, 1), b = uniform_tensor({4, 5}, 2);
  const Tensor plain = product(a, b);
  const Tensor out = uniform_tensor({3, 5}, 3);
  const std::vector<float> before = out.to_f32_vector();
  matmul_forward(a, b, out, {.alpha = 2.0f, .beta = 0.5f});
  const std::vector<float> got = out.to_f32_vector(), ab = plain.to_f32_vector();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], 2 * ab[i] + 0.5f * before[i], 1e-5);
}

TEST(Matmul, StridedAndTransposedViewsEqualTheirContiguousCopies) {
  const Tensor wide = uniform_tensor({6, 10}, 4);
  const Tensor a = wide.slice(1, 2, 6);                        // [6, 4], row stride 10
  const Tensor b = uniform_tensor({5, 4}, 5).transpose(0, 1);  // [4, 5], column stride 4
  expect_near(product(a, b), product(a.contiguous(), b.contiguous()), 1e-6f);
  // [3, 2] with strides (4, 12): neither dim has unit stride.
  const Tensor scattered = uniform_tensor({2, 3, 4}, 6).transpose(0, 2).select(0, 0);
  EXPECT_THAT(error_of([&] {
                product(scattered, uniform_tensor({2, 5}, 7));
              }),
              HasSubstr("no unit stride"));
}

TEST(Matmul, BackwardAccumulatesOnlyWhenAsked) {
  const Tensor x = uniform_tensor({2, 3, 4}, 7), w = uniform_tensor({5, 4}, 8);
  const Tensor dy = uniform_tensor({2, 3, 5}, 9);
  const Tensor dx = uniform_tensor(x.shape(), 10), dw = uniform_tensor(w.shape(), 11);
  matmul_backward(dy, x, w, {dx, dw}, false, true);  // overwrite: garbage in dx/dw is gone
  const Tensor dx_once = dx.clone(), dw_once = dw.clone();
  matmul_backward(dy, x, w, {dx, dw, false, true}, false, true);  // dw accumulates, dx does not
  expect_near(dx, dx_once, 0.0f);
  std::vector<float> twice = dw_once.to_f32_vector();
  for (float& v : twice) v *= 2;
  expect_near(dw, Tensor::from_vector<float>(w.shape(), DType::f32, twice), 1e-5f);
}

TEST(Matmul, EmptyBatchGivesAZeroSharedGradient) {
  const Tensor x = Tensor::zeros({0, 3, 4}, DType::f32), w = uniform_tensor({5, 4}, 12);
  const Tensor dy = Tensor::zeros({0, 3, 5}, DType::f32);
  // Contiguous x folds the batch into rows; x stored transposed goes item by item.
  for (const bool trans_a : {false, true}) {
    const Tensor a = trans_a ? Tensor::zeros({0, 4, 3}, DType::f32) : x;
    const Tensor dw = uniform_tensor(w.shape(), 13);
    matmul_backward(dy, a, w, {Tensor(), dw}, trans_a, true);
    for (float v : dw.to_f32_vector()) EXPECT_EQ(v, 0.0f) << "trans_a " << trans_a;
  }
}

// want within `relative` of its largest magnitude.
void expect_close(const Tensor& got, const Tensor& want, float relative) {
  float scale = 0.0f;
  for (const float v : want.to_f32_vector()) scale = std::max(scale, std::abs(v));
  expect_near(got, want, relative * scale);
}

// A linear layer of SmolLM2-135M's sizes (576 -> 1536 and back) with a bf16 or f16 weight equals
// the f32 product with the weight's values: the same math in another order, so the tolerance is
// f32 rounding of sums of up to 1536 products (~2e-6 of the largest result seen). With beta = 1
// (the residual add of the model's projections) and a decode step's single row.
TEST(Matmul, SixteenBitWeightEqualsTheF32ProductOfItsValues) {
  for (const DType dtype : {DType::bf16, DType::f16}) {
    for (const bool trans_b : {false, true}) {
      for (const int64_t rows : {1, 37}) {
        for (const auto& [in, out] : {std::pair{576, 1536}, std::pair{1536, 576}}) {
          const Tensor x = uniform_tensor({rows, in}, 1);
          const Tensor w = uniform_tensor(trans_b ? Shape{out, in} : Shape{in, out}, 2).to(dtype);
          const Tensor y = uniform_tensor({rows, out}, 3), want = y.clone();
          const MatmulOptions options{.trans_b = trans_b, .alpha = 0.5f, .beta = 1.0f};
          matmul_forward(x, w, y, options);
          matmul_forward(x, w.to(DType::f32), want, options);
          expect_close(y, want, 1e-5f);
          // The input's gradient, overwritten and accumulated.
          const Tensor dy = uniform_tensor(y.shape(), 4);
          const Tensor dx = uniform_tensor(x.shape(), 5), dx_want = dx.clone();
          for (const bool accumulate : {false, true}) {
            matmul_backward(dy, x, w, {.da = dx, .accumulate_da = accumulate}, false, trans_b);
            matmul_backward(dy, x, w.to(DType::f32), {.da = dx_want, .accumulate_da = accumulate},
                            false, trans_b);
            expect_close(dx, dx_want, 1e-5f);
          }
        }
      }
    }
  }
}

// Each output of a product with a 16-bit operand is computed by one thread in an order that the
// thread count does not change (a decode step's rows, or fixed chunks of them; tiles of fixed
// sizes, each a single-threaded sgemm): 1 and 2 threads give the same bits. One row per item
// (with the weight [out, in] and [in, out]) and 2 x 300 rows (tiles with chunks of 256 rows).
TEST(Matmul, SixteenBitWeightGivesTheSameBitsForOneAndTwoThreads) {
  const int threads = num_threads();
  for (const bool trans_b : {false, true}) {
    const Tensor w =
        uniform_tensor(trans_b ? Shape{1536, 576} : Shape{576, 1536}, 5).to(DType::bf16);
    for (const int64_t rows : {1, 300}) {
      const Tensor x = uniform_tensor({2, rows, 576}, 6);
      const Tensor dy = uniform_tensor({2, rows, 1536}, 7);
      std::vector<std::vector<float>> results;
      for (const int n : {1, 2}) {
        set_num_threads(n);
        const Tensor y = Tensor::empty({2, rows, 1536}, DType::f32);
        const Tensor dx = Tensor::empty(x.shape(), DType::f32);
        matmul_forward(x, w, y, {.trans_b = trans_b});
        matmul_backward(dy, x, w, {.da = dx}, false, trans_b);
        std::vector<float> both = y.to_f32_vector();
        for (const float v : dx.to_f32_vector()) both.push_back(v);
        results.push_back(both);
      }
      EXPECT_EQ(results[0], results[1]) << "trans_b " << trans_b << ", rows " << rows;
    }
  }
  set_num_threads(threads);
}

// LoRA's products (one dimension small: ops/cpu/narrow_gemm.h) at its sizes: alpha and beta as
// for any product, and each output one sum in a fixed order, so 1 and 2 threads give the same
// bits. x A^T, (xA) B^T accumulated into z, and the gradients dB = s g^T (xA), dA = dxa^T x.
TEST(Matmul, NarrowProductsScaleAccumulateAndIgnoreTheThreadCount) {
  const int threads = num_threads();
  const Tensor x = uniform_tensor({1024, 576}, 1), a = uniform_tensor({16, 576}, 2);
  const Tensor xa = uniform_tensor({1024, 16}, 3), b = uniform_tensor({1536, 16}, 4);
  const Tensor g = uniform_tensor({1024, 1536}, 5), z0 = uniform_tensor({1024, 1536}, 6);
  std::vector<std::vector<float>> results;
  for (const int n : {1, 2}) {
    set_num_threads(n);
    const Tensor z = z0.clone(), product_xa = Tensor::empty({1024, 16}, DType::f32);
    const Tensor db = uniform_tensor({1536, 16}, 7), da = uniform_tensor({16, 576}, 8);
    const Tensor db_before = db.clone();
    matmul_forward(x, a, product_xa, {.trans_b = true});
    matmul_forward(xa, b, z, {.trans_b = true, .alpha = 2.0f, .beta = 1.0f});
    matmul_forward(g, xa, db, {.trans_a = true, .alpha = 0.5f, .beta = 1.0f});
    matmul_forward(xa, x, da, {.trans_a = true});
    // Against the same products through plain loops (double sums), for one thread.
    if (n == 1) {
      const std::vector<float> xv = x.to_f32_vector(), av = a.to_f32_vector(),
                               xav = xa.to_f32_vector(), bv = b.to_f32_vector(),
                               gv = g.to_f32_vector(), zv = z0.to_f32_vector(),
                               dbv = db_before.to_f32_vector();
      const std::vector<float> got_xa = product_xa.to_f32_vector(), got_z = z.to_f32_vector(),
                               got_db = db.to_f32_vector(), got_da = da.to_f32_vector();
      for (int64_t i = 0; i < 1024; i += 97) {
        for (int64_t j = 0; j < 16; ++j) {
          double s = 0;
          for (int64_t k = 0; k < 576; ++k) s += double(xv[i * 576 + k]) * av[j * 576 + k];
          EXPECT_NEAR(got_xa[i * 16 + j], s, 1e-4) << i << "," << j;
        }
        for (int64_t o = 0; o < 1536; o += 31) {
          double s = 0;
          for (int64_t k = 0; k < 16; ++k) s += double(xav[i * 16 + k]) * bv[o * 16 + k];
          EXPECT_NEAR(got_z[i * 1536 + o], 2 * s + zv[i * 1536 + o], 1e-4) << i << "," << o;
        }
      }
      for (int64_t o = 0; o < 1536; o += 89) {
        for (int64_t j = 0; j < 16; ++j) {
          double s = 0, t = 0;
          for (int64_t k = 0; k < 1024; ++k) s += double(gv[k * 1536 + o]) * xav[k * 16 + j];
          EXPECT_NEAR(got_db[o * 16 + j], 0.5 * s + dbv[o * 16 + j], 1e-3) << o << "," << j;
          if (o >= 576) continue;
          for (int64_t k = 0; k < 1024; ++k) t += double(xav[k * 16 + j]) * xv[k * 576 + o];
          EXPECT_NEAR(got_da[j * 576 + o], t, 1e-3) << j << "," << o;
        }
      }
    }
    std::vector<float> all;
    for (const Tensor& t : {product_xa, z, db, da}) {
      for (const float v : t.to_f32_vector()) all.push_back(v);
    }
    results.push_back(all);
  }
  EXPECT_EQ(results[0], results[1]);
  set_num_threads(threads);
}

// The narrow kernels take products with exactly one small dimension: LoRA's, not attention's
// tiles (query rows and head dim both 64), which sgemm does faster.
TEST(Matmul, NarrowKernelsTakeOneSmallDimensionOnly) {
  EXPECT_TRUE(cpu::narrow_gemm_applies(1024, 16, 576));   // x A^T
  EXPECT_TRUE(cpu::narrow_gemm_applies(1024, 192, 16));   // (xA) B^T
  EXPECT_TRUE(cpu::narrow_gemm_applies(16, 576, 1024));   // dA = dxa^T x
  EXPECT_FALSE(cpu::narrow_gemm_applies(64, 256, 64));    // attention scores of a tile
  EXPECT_FALSE(cpu::narrow_gemm_applies(64, 64, 1024));   // attention's P V
  EXPECT_FALSE(cpu::narrow_gemm_applies(100, 16, 576));   // too few rows to matter
  EXPECT_FALSE(cpu::narrow_gemm_applies(1024, 0, 576));   // empty
  EXPECT_FALSE(cpu::narrow_gemm_applies(1024, 65, 576));  // past kNarrowMax
}

TEST(Matmul, RejectsBadArgumentsNamingThem) {
  const Tensor a = uniform_tensor({3, 4}, 14), b = uniform_tensor({4, 5}, 15);
  const Tensor out = Tensor::empty({3, 5}, DType::f32);
  EXPECT_THAT(error_of([&] { matmul_forward(a, a, out); }),
              HasSubstr("matmul_forward: inner sizes differ"));
  EXPECT_THAT(
      error_of([&] {
        matmul_forward(a, b, Tensor::empty({5, 3}, DType::f32));
      }),
      HasSubstr("matmul_forward: out is f32[5, 3] on cpu, expected a contiguous f32[3, 5]"));
  EXPECT_THAT(error_of([&] {
                matmul_forward(uniform_tensor({2, 3, 4}, 16).to(DType::bf16), b,
                               Tensor::empty({2, 3, 5}, DType::f32));
              }),
              HasSubstr("matmul_forward: a must be f32, or bf16/f16 when 2-D (a shared frozen "
                        "weight), got bf16[2, 3, 4]"));
  EXPECT_THAT(error_of([&] {
                matmul_forward(a, Tensor::zeros({4, 5}, DType::i32), out);
              }),
              HasSubstr("matmul_forward: b must be f32, or bf16/f16 when 2-D"));
  EXPECT_THAT(
      error_of([&] {
        matmul_forward(a, b, Tensor::empty({3, 5}, DType::f16));
      }),
      HasSubstr("matmul_forward: out is f16[3, 5] on cpu, expected a contiguous f32[3, 5]"));
  const Tensor square = uniform_tensor({4, 4}, 16);
  EXPECT_THAT(error_of([&] { matmul_forward(square, square, square); }),
              HasSubstr("matmul_forward: out overlaps a"));
  EXPECT_THAT(error_of([&] {
                matmul_forward(uniform_tensor({2, 3, 4}, 17), uniform_tensor({3, 4, 5}, 18),
                               Tensor::empty({2, 3, 5}, DType::f32));
              }),
              HasSubstr("matmul_forward: batch sizes differ"));
  // The backward checks dout against the forward's output shape.
  const Tensor dout_2d = uniform_tensor({3, 5}, 19);
  EXPECT_THAT(
      error_of([&] {
        matmul_backward(dout_2d, uniform_tensor({2, 3, 4}, 20), uniform_tensor({2, 4, 5}, 21),
                        {Tensor::empty({2, 3, 4}, DType::f32)});
      }),
      HasSubstr("matmul_backward: dout is f32[3, 5] on cpu, expected a contiguous f32[2, 3, 5]"));
  EXPECT_THAT(
      error_of([&] {
        matmul_backward(out, a, b, {Tensor::empty({4, 3}, DType::f32)});
      }),
      HasSubstr("matmul_backward: da is f32[4, 3] on cpu, expected a contiguous f32[3, 4]"));
}

// A bf16 output with beta reads its old value as stored and is rounded once, from the f32 sum
// (not twice, through a rounded product); two 16-bit operands give the product of their values.
// On the GPU as on the CPU.
void expect_bf16_output_with_beta(Device device) {
  const Tensor a = uniform_tensor({33, 20}, 31).to(DType::bf16);
  const Tensor b = uniform_tensor({17, 20}, 32).to(DType::bf16);
  const Tensor old = uniform_tensor({33, 17}, 33).to(DType::bf16);
  const Tensor out = old.to(device);
  matmul_forward(a.to(device), b.to(device), out, {.trans_b = true, .alpha = 0.5f, .beta = 1.0f});
  // The same in f32 from the same stored values, rounded once.
  const Tensor want = old.to(DType::f32);
  matmul_forward(a.to(DType::f32), b.to(DType::f32), want,
                 {.trans_b = true, .alpha = 0.5f, .beta = 1.0f});
  const std::vector<float> got = out.to(Device::cpu()).to_f32_vector();
  const std::vector<float> exact = want.to_f32_vector();
  ASSERT_EQ(got.size(), exact.size());
  // One rounding to bf16 errs by 2^-8 relative at most; the GPU's f32 sums may differ from the
  // CPU's in their last bits, which can move the rounding by one more bf16 step.
  const float relative = device.is_cpu() ? 4e-3f : 8e-3f;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], exact[i], relative * std::fabs(exact[i]) + 1e-6f) << "at " << i;
  }
}

TEST(Matmul, Bf16OutputWithBetaIsRoundedOnceFromTheF32Sum) {
  expect_bf16_output_with_beta(Device::cpu());
}

// A product over an empty inner dimension is an empty sum: out = beta * out, for beta 0 or 1
// (cuBLASLt does not promise it, so the op does it itself on any device).
void expect_empty_inner_dimension_is_an_empty_sum(Device device) {
  const Tensor a = Tensor::empty({3, 0}, DType::f32, device);
  const Tensor b = Tensor::empty({0, 4}, DType::f32, device);
  const Tensor old = uniform_tensor({3, 4}, 41);
  const Tensor out = old.to(device);
  matmul_forward(a, b, out, {.beta = 1.0f});
  EXPECT_EQ(out.to(Device::cpu()).to_f32_vector(), old.to_f32_vector());
  matmul_forward(a, b, out);
  EXPECT_EQ(out.to(Device::cpu()).to_f32_vector(), std::vector<float>(12, 0.0f));
  EXPECT_EQ(error_of([&] { matmul_forward(a, b, out, {.beta = 0.5f}); }),
            "matmul_forward: a product over an empty inner dimension (K = 0) takes beta 0 or 1, "
            "got 0.5");
}

TEST(Matmul, AnEmptyInnerDimensionIsAnEmptySum) {
  expect_empty_inner_dimension_is_an_empty_sum(Device::cpu());
}

TEST(Matmul, GpuAnEmptyInnerDimensionIsAnEmptySum) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  activate_device(Device::cuda(0));
  expect_empty_inner_dimension_is_an_empty_sum(Device::cuda(0));
}

TEST(Matmul, GpuBf16OutputWithBetaIsRoundedOnceFromTheF32Sum) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  activate_device(Device::cuda(0));
  expect_bf16_output_with_beta(Device::cuda(0));
}

// The GPU keeps the bf16 copy of an f32 operand for later products of the same bytes
// (ops/cuda/kept_operands.h): a write between two products, by an op, copy_from or fill, must make
// the next product read the new values.
TEST(Matmul, GpuKeptOperandCopiesFollowWrites) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  const Tensor a = uniform_tensor({1024, 512}, 1).to(gpu);  // 1 MiB as bf16: the large tier
  const Tensor b = uniform_tensor({512, 8}, 2).to(gpu);
  const Tensor out = Tensor::empty({1024, 8}, DType::f32, gpu);
  // a's product now, against a fresh copy of a's current values (never kept: a new storage).
  auto expect_fresh_product = [&](const char* after) {
    matmul_forward(a, b, out);
    const Tensor fresh = Tensor::empty({1024, 8}, DType::f32, gpu);
    matmul_forward(a.clone(), b, fresh);
    EXPECT_EQ(out.to_f32_vector(), fresh.to_f32_vector()) << after;
  };
  expect_fresh_product("the first product");
  expect_fresh_product("a second product of the same bytes");
  add_forward(a, a, a);
  expect_fresh_product("an op's write");
  a.copy_from(uniform_tensor({1024, 512}, 3).to(gpu));
  expect_fresh_product("copy_from");
  a.fill(0.5);
  expect_fresh_product("fill");
}

TEST(Matmul, PrepareProductOperandsTakesContiguousF32Matrices) {
  const Tensor a = uniform_tensor({4, 6}, 1);
  prepare_product_operands(std::vector<Tensor>{a, uniform_tensor({6, 2}, 2)});  // CPU: nothing
  prepare_product_operands({});
  const auto error = [](const Tensor& bad) {
    return error_of([&] {
      prepare_product_operands(std::vector<Tensor>{uniform_tensor({2, 2}, 3), bad});
    });
  };
  EXPECT_EQ(error(a.to(DType::bf16)),
            "prepare_product_operands: matrix 1 is bf16[4, 6] on cpu, expected a contiguous 2-D "
            "f32 tensor on cpu");
  EXPECT_THAT(error(uniform_tensor({2, 2, 2}, 4)), HasSubstr("matrix 1 is f32[2, 2, 2]"));
  EXPECT_THAT(error(a.transpose(0, 1)), HasSubstr("expected a contiguous 2-D f32 tensor"));
  EXPECT_THAT(error(Tensor()), HasSubstr("matrix 1 is undefined"));
}

// Copies made ahead by prepare_product_operands are the ones the products would make: the same
// results as a fresh operand's, also after a write to a prepared matrix, and for a matrix too
// large to be prepared (left to its product).
TEST(Matmul, GpuPreparedOperandsGiveTheProductsOwnResults) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  const Tensor x = uniform_tensor({64, 300}, 5).to(gpu);
  const Tensor small = uniform_tensor({16, 300}, 6).to(gpu);    // as a LoRA A
  const Tensor large = uniform_tensor({2048, 300}, 7).to(gpu);  // 1.2 MB as bf16
  prepare_product_operands(std::vector<Tensor>{small, large});
#if RETUNE_CUDA
  // Kept under the key the products look up (gemm.cpp's as_bf16); the large one is not.
  const auto kept = [](const Tensor& w) {
    return cuda::find_kept_operand(cuda::operand_key(w.device_data<float>(), DType::f32, w.size(0),
                                                     w.size(1), w.size(1), 0,
                                                     w.storage()->version(), 1))
        .defined();
  };
  EXPECT_TRUE(kept(small));
  EXPECT_FALSE(kept(large));
#endif
  for (const Tensor* w : {&small, &large}) {
    const auto expect_fresh_product = [&](const char* when) {
      const Tensor out = Tensor::empty({64, w->size(0)}, DType::f32, gpu);
      const Tensor fresh = Tensor::empty({64, w->size(0)}, DType::f32, gpu);
      matmul_forward(x, *w, out, {.trans_b = true});
      matmul_forward(x, w->clone(), fresh, {.trans_b = true});
      EXPECT_EQ(out.to_f32_vector(), fresh.to_f32_vector()) << w->size(0) << " rows, " << when;
    };
    expect_fresh_product("prepared");
    w->fill(0.25);
    prepare_product_operands(std::vector<Tensor>{*w});
    expect_fresh_product("written and prepared again");
  }
}

}  // namespace
}  // namespace retune::ops
