// What the cross_entropy_head specs cannot show: rejected inputs, gradient accumulation, the
// frozen head, the fused pass, 16-bit weights, row blocks and thread-count independence.
#include "ops/cross_entropy_head.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/device.h"
#include "core/random_tensor.h"
#include "core/rng.h"
#include "core/threads.h"
#include "ops/cpu/cross_entropy_head.h"
#include "ops/reference/cross_entropy_head.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

Tensor label_tensor(const std::vector<int32_t>& labels) {
  return Tensor::from_vector<int32_t>({static_cast<int64_t>(labels.size())}, DType::i32, labels);
}

// Labels for n rows over v classes, every third row ignored.
Tensor some_labels(int64_t n, int64_t v) {
  std::vector<int32_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    labels[static_cast<size_t>(i)] =
        i % 3 == 1 ? kIgnoreIndex : static_cast<int32_t>((i * 7919) % v);
  }
  return label_tensor(labels);
}

struct Head {
  Tensor x;       // [N, C]
  Tensor weight;  // [V, C]
  Tensor labels;  // [N]
};

Head random_head(int64_t N, int64_t C, int64_t V, uint64_t seed) {
  return {uniform_tensor({N, C}, seed), uniform_tensor({V, C}, seed + 1), some_labels(N, V)};
}

struct Results {
  Tensor loss, lse, dx, dweight;
};

// dweight starts from `dweight_start` (a copy) or is undefined when that is.
Results separate(const Head& h, int64_t chunk, const Tensor& dweight_start, float dloss = 1.0f) {
  Results r{Tensor::empty({1}, DType::f32), Tensor::empty({h.x.size(0)}, DType::f32),
            Tensor::empty(h.x.shape(), DType::f32),
            dweight_start.defined() ? dweight_start.clone() : Tensor()};
  cross_entropy_head_forward(h.x, h.weight, h.labels, r.loss, r.lse, chunk);
  const Tensor dloss_tensor = Tensor::from_vector<float>({1}, DType::f32, std::vector{dloss});
  cross_entropy_head_backward(dloss_tensor, h.x, h.weight, h.labels, r.lse, r.dx, r.dweight, chunk);
  return r;
}

Results fused(const Head& h, int64_t chunk, const Tensor& dweight_start, float dloss = 1.0f) {
  Results r{Tensor::empty({1}, DType::f32), Tensor::empty({h.x.size(0)}, DType::f32),
            Tensor::empty(h.x.shape(), DType::f32),
            dweight_start.defined() ? dweight_start.clone() : Tensor()};
  cross_entropy_head_forward_backward(h.x, h.weight, h.labels, r.loss, r.lse, r.dx, r.dweight,
                                      dloss, chunk);
  return r;
}

void expect_near(const Tensor& got, const Tensor& want, double tolerance, const char* what) {
  const std::vector<float> g = got.to_f32_vector();
  const std::vector<float> w = want.to_f32_vector();
  ASSERT_EQ(g.size(), w.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_NEAR(g[i], w[i], tolerance * (1 + std::abs(w[i]))) << what << " [" << i << "]";
  }
}

void expect_same_bits(const Tensor& got, const Tensor& want, const char* what) {
  ASSERT_EQ(got.nbytes(), want.nbytes()) << what;
  EXPECT_EQ(std::memcmp(got.data<float>(), want.data<float>(), got.nbytes()), 0) << what;
}

void expect_same_bits(const Results& got, const Results& want) {
  expect_same_bits(got.loss, want.loss, "loss");
  expect_same_bits(got.lse, want.lse, "lse");
  expect_same_bits(got.dx, want.dx, "dx");
  expect_same_bits(got.dweight, want.dweight, "dweight");
}

TEST(CrossEntropyHead, RejectsBadInputsNamingThem) {
  const Head h = random_head(5, 8, 37, 1);
  const Tensor loss = Tensor::empty({1}, DType::f32);
  const Tensor lse = Tensor::empty({5}, DType::f32);
  auto forward = [&](const Tensor& x, const Tensor& weight, const Tensor& labels,
                     const Tensor& loss_out, int64_t chunk) {
    return error_of([&] { cross_entropy_head_forward(x, weight, labels, loss_out, lse, chunk); });
  };
  EXPECT_EQ(
      forward(h.x, h.weight, label_tensor({0, 1, 37, 2, 3}), loss, 7),
      "cross_entropy_head_forward: labels[2] is 37, expected a class in [0, 37) or -100 (ignored)");
  EXPECT_THAT(forward(h.x, h.weight, label_tensor({-1, 1, 2, 2, 3}), loss, 7),
              HasSubstr("labels[0] is -1, expected a class in [0, 37)"));
  EXPECT_THAT(forward(h.x, h.weight, label_tensor({0, 1, 2}), loss, 7),
              HasSubstr("labels is i32[3] on cpu, expected a contiguous i32[5] on cpu"));
  EXPECT_THAT(forward(h.x, h.weight, h.labels.to(DType::i64), loss, 7),
              HasSubstr("labels is i64[5] on cpu, expected a contiguous i32[5]"));
  EXPECT_THAT(forward(h.x.to(DType::bf16), h.weight, h.labels, loss, 7),
              HasSubstr("cross_entropy_head_forward: x is bf16[5, 8] on cpu, expected a contiguous "
                        "f32[N, C]"));
  EXPECT_THAT(forward(h.x, uniform_tensor({37, 9}, 2), h.labels, loss, 7),
              HasSubstr("weight is f32[37, 9] on cpu, expected a contiguous f32, bf16 or f16 "
                        "[V, 8]"));
  EXPECT_THAT(forward(h.x, h.weight.transpose(0, 1), h.labels, loss, 7),
              HasSubstr("weight is f32[8, 37] on cpu, expected"));
  EXPECT_THAT(
      forward(h.x, h.weight, h.labels, Tensor::empty({2}, DType::f32), 7),
      HasSubstr("cross_entropy_head_forward: loss is f32[2] on cpu, expected a contiguous f32[1]"));
  EXPECT_THAT(forward(h.x, h.weight, h.labels, loss, 0),
              HasSubstr("chunk is 0, expected at least 1"));
  // The outputs may not share memory with what the kernel reads while writing them.
  EXPECT_EQ(forward(h.x, h.weight, h.labels, h.x.reshape({40}).slice(0, 0, 1), 7),
            "cross_entropy_head_forward: loss overlaps x; they must not share memory");
  EXPECT_EQ(error_of([&] {
              cross_entropy_head_forward(h.x, h.weight, h.labels, loss,
                                         h.weight.reshape({37 * 8}).slice(0, 3, 8), 7);
            }),
            "cross_entropy_head_forward: lse overlaps weight; they must not share memory");
  const Tensor both = Tensor::empty({6}, DType::f32);
  EXPECT_EQ(error_of([&] {
              cross_entropy_head_forward(h.x, h.weight, h.labels, both.slice(0, 4, 5),
                                         both.slice(0, 0, 5), 7);
            }),
            "cross_entropy_head_forward: lse overlaps loss; they must not share memory");

  const Tensor dloss = Tensor::from_vector<float>({1}, DType::f32, std::vector<float>{1.0f});
  const Tensor dx = Tensor::empty({5, 8}, DType::f32);
  const Tensor dweight = Tensor::zeros({37, 8}, DType::f32);
  auto backward = [&](const Tensor& dloss_in, const Tensor& lse_in, const Tensor& dx_out,
                      const Tensor& dweight_out) {
    return error_of([&] {
      cross_entropy_head_backward(dloss_in, h.x, h.weight, h.labels, lse_in, dx_out, dweight_out);
    });
  };
  EXPECT_THAT(backward(Tensor::zeros({2}, DType::f32), lse, dx, dweight),
              HasSubstr("cross_entropy_head_backward: dloss is f32[2] on cpu, expected f32[1]"));
  EXPECT_THAT(backward(dloss, Tensor::zeros({4}, DType::f32), dx, dweight),
              HasSubstr("lse is f32[4] on cpu, expected a contiguous f32[5]"));
  EXPECT_THAT(backward(dloss, lse, Tensor::empty({5, 8}, DType::bf16), dweight),
              HasSubstr("dx is bf16[5, 8] on cpu, expected a contiguous f32[5, 8]"));
  EXPECT_THAT(backward(dloss, lse, dx, Tensor::zeros({36, 8}, DType::f32)),
              HasSubstr("dweight is f32[36, 8] on cpu, expected a contiguous f32[37, 8]"));
  EXPECT_THAT(error_of([&] {
                cross_entropy_head_forward_backward(h.x, h.weight, label_tensor({0, 1, 2, 3, 99}),
                                                    loss, lse, dx, dweight);
              }),
              HasSubstr("cross_entropy_head_forward_backward: labels[4] is 99"));
}

// The fused pass checks the host copy of the labels when it is given (a GPU step's, made before
// its forward is queued), and refuses one that is not an i32 [N] on the host.
TEST(CrossEntropyHead, FusedPassChecksTheHostLabelsWhenGiven) {
  const Head h = random_head(5, 8, 37, 13);
  const Tensor loss = Tensor::empty({1}, DType::f32);
  const Tensor lse = Tensor::empty({5}, DType::f32);
  const Tensor dx = Tensor::empty({5, 8}, DType::f32);
  const auto fused_with = [&](const Tensor& host_labels) {
    return error_of([&] {
      cross_entropy_head_forward_backward(h.x, h.weight, h.labels, loss, lse, dx, Tensor(), 1.0f,
                                          kCrossEntropyHeadChunk, host_labels);
    });
  };
  EXPECT_EQ(fused_with(h.labels.clone()), "no error");
  const Results without = fused(h, kCrossEntropyHeadChunk, Tensor());
  expect_same_bits(loss, without.loss, "loss");
  expect_same_bits(dx, without.dx, "dx");
  EXPECT_THAT(fused_with(label_tensor({0, 1, 2, 3, 99})),
              HasSubstr("cross_entropy_head_forward_backward: labels[4] is 99"));
  EXPECT_THAT(fused_with(label_tensor({0, 1, 2, 3})),
              HasSubstr("host_labels is i32[4] on cpu, expected a contiguous i32[5] on cpu"));
  EXPECT_THAT(fused_with(Tensor::zeros({5}, DType::f32)),
              HasSubstr("host_labels is f32[5] on cpu, expected a contiguous i32[5] on cpu"));
}

// A NaN logit makes its row's lse and the loss NaN (a diverged run must show as one), also where
// it is the only logit a GPU thread reads (V below the row kernel's 512 threads).
void expect_a_nan_logit_gives_a_nan_loss(Device device) {
  Head h = random_head(4, 8, 100, 17);
  std::vector<float> weight = h.weight.to_f32_vector();
  weight[37 * 8 + 3] = std::nanf("");  // logit 37 of every row
  h.weight = Tensor::from_vector<float>({100, 8}, DType::f32, weight);
  const Tensor loss = Tensor::empty({1}, DType::f32, device);
  const Tensor lse = Tensor::empty({4}, DType::f32, device);
  cross_entropy_head_forward(h.x.to(device), h.weight.to(device), h.labels.to(device), loss, lse);
  EXPECT_TRUE(std::isnan(loss.to_f32_vector()[0]));
  const std::vector<float> row_lse = lse.to_f32_vector();
  const std::vector<float> labels = h.labels.to_f32_vector();
  for (size_t n = 0; n < row_lse.size(); ++n) {
    if (labels[n] != kIgnoreIndex) {  // an ignored row's lse is 0
      EXPECT_TRUE(std::isnan(row_lse[n])) << n;
    }
  }
}

TEST(CrossEntropyHead, ANanLogitGivesANanLoss) {
  expect_a_nan_logit_gives_a_nan_loss(Device::cpu());
}

TEST(CrossEntropyHead, GpuANanLogitGivesANanLoss) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  activate_device(Device::cuda(0));
  expect_a_nan_logit_gives_a_nan_loss(Device::cuda(0));
}

TEST(CrossEntropyHead, DweightAccumulates) {
  const Head h = random_head(6, 8, 37, 3);
  const Tensor zeros = Tensor::zeros({37, 8}, DType::f32);
  const Results once = separate(h, 7, zeros);
  const Tensor one = Tensor::from_vector<float>({1}, DType::f32, std::vector<float>{1.0f});
  const Tensor twice = once.dweight.clone();
  cross_entropy_head_backward(one, h.x, h.weight, h.labels, once.lse, once.dx, twice, 7);
  const std::vector<float> a = once.dweight.to_f32_vector();
  const std::vector<float> b = twice.to_f32_vector();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_FLOAT_EQ(b[i], 2 * a[i]) << i;
}

TEST(CrossEntropyHead, UndefinedDweightSkipsIt) {
  const Head h = random_head(6, 8, 37, 5);
  const Results with = separate(h, 7, Tensor::zeros({37, 8}, DType::f32));
  const Results without = separate(h, 7, Tensor());
  EXPECT_FALSE(without.dweight.defined());
  expect_same_bits(without.dx, with.dx, "dx");
  const Results fused_without = fused(h, 7, Tensor());
  expect_near(fused_without.dx, with.dx, 1e-6, "fused dx");
}

TEST(CrossEntropyHead, UndefinedDxSkipsIt) {
  // Only the head trains: dweight without dx, from both the backward and the fused pass.
  const Head h = random_head(9, 12, 50, 21);
  const Tensor zeros = Tensor::zeros({50, 12}, DType::f32);
  const Results with = separate(h, 7, zeros);
  const Tensor one = Tensor::from_vector<float>({1}, DType::f32, std::vector<float>{1.0f});
  const Tensor dweight = zeros.clone();
  cross_entropy_head_backward(one, h.x, h.weight, h.labels, with.lse, Tensor(), dweight, 7);
  expect_near(dweight, with.dweight, 1e-6, "dweight");
  const Tensor fused_dweight = zeros.clone();
  const Tensor loss = Tensor::empty({1}, DType::f32), lse = Tensor::empty({9}, DType::f32);
  cross_entropy_head_forward_backward(h.x, h.weight, h.labels, loss, lse, Tensor(), fused_dweight,
                                      1.0f, 7);
  expect_near(fused_dweight, with.dweight, 1e-6, "fused dweight");
  expect_near(loss, with.loss, 1e-6, "loss");
}

TEST(CrossEntropyHead, FusedEqualsForwardThenBackward) {
  for (const int64_t chunk : {int64_t{7}, int64_t{64}, kCrossEntropyHeadChunk}) {
    const Head h = random_head(13, 24, 300, 7);
    const Tensor start = uniform_tensor({300, 24}, 8);  // dweight accumulates onto this
    const float dloss = chunk == 64 ? 0.25f : 1.0f;     // a micro-batch's share of the mean
    const Results want = separate(h, chunk, start, dloss);
    const Results got = fused(h, chunk, start, dloss);
    expect_near(got.loss, want.loss, 1e-6, "loss");
    expect_near(got.lse, want.lse, 1e-6, "lse");
    expect_near(got.dx, want.dx, 1e-6, "dx");
    expect_near(got.dweight, want.dweight, 1e-6, "dweight");
  }
}

TEST(CrossEntropyHead, SixteenBitWeightEqualsF32OnConvertedWeight) {
  const Head h = random_head(9, 16, 100, 11);
  for (const DType dtype : {DType::bf16, DType::f16}) {
    const Head narrow{h.x, h.weight.to(dtype), h.labels};
    const Head wide{h.x, narrow.weight.to(DType::f32), h.labels};  // exactly the same values
    const Tensor start = Tensor::zeros({100, 16}, DType::f32);
    expect_same_bits(separate(narrow, 7, start), separate(wide, 7, start));
    expect_same_bits(fused(narrow, 7, start), fused(wide, 7, start));
  }
}

TEST(CrossEntropyHead, AllIgnoredGivesZeroLossAndGradients) {
  const Tensor x = uniform_tensor({4, 8}, 13);
  const Tensor weight = uniform_tensor({11, 8}, 14);
  const Head h{x, weight, label_tensor({-100, -100, -100, -100})};
  const Tensor start = uniform_tensor({11, 8}, 15);
  for (const Results& r : {separate(h, 3, start), fused(h, 3, start)}) {
    EXPECT_EQ(r.loss.to_f32_vector()[0], 0.0f);  // PyTorch: NaN
    for (float value : r.lse.to_f32_vector()) EXPECT_EQ(value, 0.0f);
    for (float value : r.dx.to_f32_vector()) EXPECT_EQ(value, 0.0f);
    expect_same_bits(r.dweight, start, "dweight");  // nothing added
  }
}

// More labelled rows than one block of logits scratch holds (chunk = V, so a block is
// kHeadScratchFloats / V rows): every path splits the rows, checked against the reference.
TEST(CrossEntropyHead, RowBlocksMatchReference) {
  const int64_t V = 4099;
  const int64_t C = 3;
  const int64_t N = cpu::kHeadScratchFloats / V * 3 / 2;
  const Head h = random_head(N, C, V, 17);
  const std::vector<float> xf = h.x.to_f32_vector();
  const std::vector<float> wf = h.weight.to_f32_vector();
  const std::vector<double> x(xf.begin(), xf.end());
  const std::vector<double> w(wf.begin(), wf.end());
  std::vector<double> lse(static_cast<size_t>(N));
  std::vector<double> dx(static_cast<size_t>(N * C));
  std::vector<double> dw(static_cast<size_t>(V * C));
  const int32_t* labels = h.labels.data<int32_t>();
  const double loss = reference::cross_entropy_head_forward<double>(x.data(), w.data(), labels, N,
                                                                    C, V, lse.data());
  reference::cross_entropy_head_backward<double>(1.0, x.data(), w.data(), labels, lse.data(), N, C,
                                                 V, dx.data(), dw.data());
  auto as_tensor = [](const std::vector<double>& values, const Shape& shape) {
    const std::vector<float> f(values.begin(), values.end());
    return Tensor::from_vector<float>(shape, DType::f32, f);
  };
  const Tensor zeros = Tensor::zeros({V, C}, DType::f32);
  for (const Results& r : {separate(h, V, zeros), fused(h, V, zeros)}) {
    EXPECT_NEAR(r.loss.to_f32_vector()[0], loss, 1e-5);
    expect_near(r.lse, as_tensor(lse, {N}), 1e-5, "lse");
    expect_near(r.dx, as_tensor(dx, {N, C}), 1e-6, "dx");
    expect_near(r.dweight, as_tensor(dw, {V, C}), 1e-6, "dweight");
  }
}

// Deterministic for a given thread count: a rerun gives the same bits. Across thread counts
// OpenBLAS may split an sgemm's depth differently, so 1 and 2 threads agree to rounding only.
TEST(CrossEntropyHead, SameThreadCountGivesTheSameBits) {
  const int threads = num_threads();
  const Head h = random_head(64, 400, 3000, 19);  // depth 400: between OpenBLAS's Q and 2Q
  const Tensor start = Tensor::zeros({3000, 400}, DType::f32);
  set_num_threads(2);
  const Results separate_first = separate(h, 1000, start);
  const Results fused_first = fused(h, 1000, start);
  expect_same_bits(separate(h, 1000, start), separate_first);
  expect_same_bits(fused(h, 1000, start), fused_first);
  set_num_threads(1);
  const Results separate_one = separate(h, 1000, start);
  set_num_threads(threads);
  EXPECT_NEAR(separate_one.loss.to_f32_vector()[0], separate_first.loss.to_f32_vector()[0], 1e-6);
  expect_near(separate_one.dx, separate_first.dx, 1e-7, "dx");
  expect_near(separate_one.dweight, separate_first.dweight, 1e-7, "dweight");
}

}  // namespace
}  // namespace retune::ops
