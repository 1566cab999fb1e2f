// What the attention specs cannot show: rejected arguments, document masks against their
// definition (all one document; each document alone), skipped gradients and thread-count
// independence.
#include "ops/attention.h"

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

Tensor doc_ids(const Shape& shape, const std::vector<int32_t>& values) {
  return Tensor::from_vector<int32_t>(shape, DType::i32, values);
}

// One attention problem with its forward and backward results.
struct Problem {
  Tensor q, k, v, doc_ids, dout;
  Tensor out, lse, dq, dk, dv;
};

// Random q, k, v and dout in [-1, 1), one document per row.
Problem make_problem(int64_t B, int64_t T, int64_t Hq, int64_t Hkv, int64_t D, uint64_t seed) {
  return {uniform_tensor({B, T, Hq, D}, seed), uniform_tensor({B, T, Hkv, D}, seed + 1),
          uniform_tensor({B, T, Hkv, D}, seed + 2), Tensor(),
          uniform_tensor({B, T, Hq, D}, seed + 3)};
}

// Runs the forward and backward of `p` with scale 1 / sqrt(D).
void compute(Problem& p) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(p.q.size(3)));
  p.out = Tensor::empty(p.q.shape(), DType::f32);
  p.lse = Tensor::empty({p.q.size(0), p.q.size(2), p.q.size(1)}, DType::f32);
  attention_forward(p.q, p.k, p.v, p.doc_ids, scale, p.out, p.lse);
  p.dq = Tensor::empty(p.q.shape(), DType::f32);
  p.dk = Tensor::empty(p.k.shape(), DType::f32);
  p.dv = Tensor::empty(p.v.shape(), DType::f32);
  attention_backward(p.dout, p.q, p.k, p.v, p.out, p.lse, p.doc_ids, scale, {p.dq, p.dk, p.dv});
}

void expect_same_bits(const Problem& a, const Problem& b) {
  EXPECT_EQ(a.out.to_f32_vector(), b.out.to_f32_vector());
  EXPECT_EQ(a.lse.to_f32_vector(), b.lse.to_f32_vector());
  EXPECT_EQ(a.dq.to_f32_vector(), b.dq.to_f32_vector());
  EXPECT_EQ(a.dk.to_f32_vector(), b.dk.to_f32_vector());
  EXPECT_EQ(a.dv.to_f32_vector(), b.dv.to_f32_vector());
}

void expect_near(const Tensor& got, const Tensor& want, double tolerance, const char* what) {
  const std::vector<float> g = got.contiguous().to_f32_vector();
  const std::vector<float> w = want.contiguous().to_f32_vector();
  ASSERT_EQ(g.size(), w.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_NEAR(g[i], w[i], tolerance) << what << "[" << i << "]";
  }
}

TEST(Attention, RejectsBadArguments) {
  const Tensor q = uniform_tensor({2, 5, 4, 8}, 1);
  const Tensor k = uniform_tensor({2, 5, 2, 8}, 2);
  const Tensor out = Tensor::empty(q.shape(), DType::f32);
  const Tensor lse = Tensor::empty({2, 4, 5}, DType::f32);
  const Tensor k3 = uniform_tensor({2, 5, 3, 8}, 3);
  EXPECT_THAT(
      error_of([&] { attention_forward(q, k3, k3, {}, 0.5f, out, lse); }),
      HasSubstr("attention_forward: the 4 query heads of q must be a multiple of the 3 kv heads"));
  EXPECT_THAT(
      error_of([&] { attention_forward(q.to(DType::bf16), k, k, {}, 0.5f, out, lse); }),
      HasSubstr("attention_forward: q must be a contiguous f32[B, T, Hq, D] with D > 0, got "
                "bf16[2, 5, 4, 8]"));
  const Tensor k_short = uniform_tensor({2, 4, 2, 8}, 4);
  EXPECT_THAT(
      error_of([&] { attention_forward(q, k_short, k_short, {}, 0.5f, out, lse); }),
      HasSubstr(
          "attention_forward: k is f32[2, 4, 2, 8] on cpu, expected a contiguous f32[2, 5, 2, 8]"));
  const Tensor v_narrow = uniform_tensor({2, 5, 2, 7}, 5);
  EXPECT_THAT(
      error_of([&] { attention_forward(q, k, v_narrow, {}, 0.5f, out, lse); }),
      HasSubstr(
          "attention_forward: v is f32[2, 5, 2, 7] on cpu, expected a contiguous f32[2, 5, 2, 8]"));
  const Tensor docs_i64 = Tensor::zeros({2, 5}, DType::i64);
  EXPECT_THAT(
      error_of([&] { attention_forward(q, k, k, docs_i64, 0.5f, out, lse); }),
      HasSubstr("attention_forward: doc_ids is i64[2, 5] on cpu, expected a contiguous i32[2, 5]"));
  const Tensor docs_transposed = Tensor::zeros({5, 2}, DType::i32);
  EXPECT_THAT(
      error_of([&] { attention_forward(q, k, k, docs_transposed, 0.5f, out, lse); }),
      HasSubstr("attention_forward: doc_ids is i32[5, 2] on cpu, expected a contiguous i32[2, 5]"));
  const Tensor lse_transposed = Tensor::empty({2, 5, 4}, DType::f32);
  EXPECT_THAT(
      error_of([&] { attention_forward(q, k, k, {}, 0.5f, out, lse_transposed); }),
      HasSubstr(
          "attention_forward: lse is f32[2, 5, 4] on cpu, expected a contiguous f32[2, 4, 5]"));
  EXPECT_THAT(error_of([&] { attention_forward(q, k, k, {}, 0.5f, Tensor(), lse); }),
              HasSubstr("attention_forward: out is undefined"));
  const AttentionGrads dk_like_q{Tensor(), Tensor::empty(q.shape(), DType::f32), Tensor()};
  EXPECT_THAT(error_of([&] { attention_backward(out, q, k, k, out, lse, {}, 0.5f, dk_like_q); }),
              HasSubstr("attention_backward: dk is f32[2, 5, 4, 8] on cpu, expected a contiguous "
                        "f32[2, 5, 2, 8]"));
  EXPECT_THAT(error_of([&] { attention_forward(q, k, k, {}, 0.5f, q, lse); }),
              HasSubstr("attention_forward: out overlaps q; they must not share memory"));
  const AttentionGrads dv_is_dk{Tensor(), Tensor::empty(k.shape(), DType::f32), Tensor()};
  const AttentionGrads shared{Tensor(), dv_is_dk.dk, dv_is_dk.dk};
  EXPECT_THAT(error_of([&] { attention_backward(out, q, k, k, out, lse, {}, 0.5f, shared); }),
              HasSubstr("attention_backward: dk overlaps dv"));
}

TEST(Attention, OneDocumentEqualsNoDocuments) {
  Problem plain = make_problem(2, 70, 4, 2, 8, 10);
  Problem one_doc = plain;
  one_doc.doc_ids = doc_ids({2, 70}, std::vector<int32_t>(140, 3));
  compute(plain);
  compute(one_doc);
  expect_same_bits(one_doc, plain);
}

// Packed documents never see each other: each document's rows of every output and gradient
// equal attention over that document alone (no doc_ids).
TEST(Attention, PackedDocumentsEqualEachDocumentAlone) {
  const std::vector<std::pair<int64_t, int64_t>> docs = {{0, 40}, {40, 90}, {90, 100}};
  std::vector<int32_t> ids;
  for (size_t d = 0; d < docs.size(); ++d) {
    for (int64_t t = docs[d].first; t < docs[d].second; ++t) ids.push_back(static_cast<int32_t>(d));
  }
  Problem packed = make_problem(1, 100, 6, 2, 16, 20);
  packed.doc_ids = doc_ids({1, 100}, ids);
  compute(packed);
  for (const auto& doc : docs) {
    auto rows = [&](const Tensor& t) { return t.slice(1, doc.first, doc.second).contiguous(); };
    Problem alone{rows(packed.q), rows(packed.k), rows(packed.v), Tensor(), rows(packed.dout)};
    compute(alone);
    // Not bitwise: the kernel's tiles and key ranges differ, so OpenBLAS sums in other orders.
    expect_near(alone.out, rows(packed.out), 1e-6, "out");
    expect_near(alone.lse, packed.lse.slice(2, doc.first, doc.second), 1e-6, "lse");
    expect_near(alone.dq, rows(packed.dq), 1e-6, "dq");
    expect_near(alone.dk, rows(packed.dk), 1e-6, "dk");
    expect_near(alone.dv, rows(packed.dv), 1e-6, "dv");
  }
}

TEST(Attention, UndefinedGradientsAreSkipped) {
  Problem p = make_problem(2, 9, 2, 1, 4, 30);
  compute(p);
  const float scale = 0.5f;  // compute()'s 1 / sqrt(4)
  const Tensor dk = Tensor::empty(p.k.shape(), DType::f32);
  attention_backward(p.dout, p.q, p.k, p.v, p.out, p.lse, {}, scale, {Tensor(), dk, Tensor()});
  EXPECT_EQ(dk.to_f32_vector(), p.dk.to_f32_vector());
  const Tensor dv = Tensor::empty(p.v.shape(), DType::f32);
  attention_backward(p.dout, p.q, p.k, p.v, p.out, p.lse, {}, scale, {Tensor(), Tensor(), dv});
  EXPECT_EQ(dv.to_f32_vector(), p.dv.to_f32_vector());
}

TEST(AttentionCached, RejectsBadArguments) {
  const Tensor q = uniform_tensor({1, 3, 4, 8}, 1);
  const Tensor cache = uniform_tensor({1, 10, 2, 8}, 2);
  const Tensor out = Tensor::empty(q.shape(), DType::f32);
  EXPECT_THAT(error_of([&] { attention_cached_forward(q, cache, cache, 8, 0.5f, out); }),
              HasSubstr("attention_cached_forward: 8 cached and 3 new tokens do not fit a cache "
                        "of 10 rows"));
  EXPECT_THAT(error_of([&] { attention_cached_forward(q, cache, cache, -1, 0.5f, out); }),
              HasSubstr("attention_cached_forward: past must be >= 0, got -1"));
  EXPECT_THAT(error_of([&] { attention_cached_forward(q, cache, cache, 0, 0.5f, Tensor()); }),
              HasSubstr("attention_cached_forward: out is undefined"));
  EXPECT_THAT(error_of([&] { attention_cached_forward(q, cache, q, 0, 0.5f, out); }),
              HasSubstr("attention_cached_forward: v is f32[1, 3, 4, 8] on cpu, expected a "
                        "contiguous f32[1, 10, 2, 8]"));
}

// Decoding one token at a time against a cache gives each row of the full causal attention.
TEST(AttentionCached, TokenByTokenEqualsFullAttention) {
  const int64_t B = 2, T = 75, Hq = 4, Hkv = 2, D = 8;
  Problem full = make_problem(B, T, Hq, Hkv, D, 50);
  compute(full);
  const Tensor k_cache = Tensor::zeros({B, T + 5, Hkv, D}, DType::f32);
  const Tensor v_cache = Tensor::zeros({B, T + 5, Hkv, D}, DType::f32);
  k_cache.slice(1, 0, T).copy_from(full.k);
  v_cache.slice(1, 0, T).copy_from(full.v);
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  for (int64_t t = 0; t < T; ++t) {
    const Tensor q = full.q.slice(1, t, t + 1).contiguous();
    const Tensor out = Tensor::empty(q.shape(), DType::f32);
    attention_cached_forward(q, k_cache, v_cache, t, scale, out);
    expect_near(out, full.out.slice(1, t, t + 1), 1e-6, "out");
  }
}

// Every output element is computed by one thread in a fixed order, and OpenBLAS runs
// single-threaded inside the kernels' parallel regions: the thread count cannot change a bit.
TEST(Attention, SameBitsForOneAndTwoThreads) {
  const int threads = num_threads();
  std::vector<int32_t> ids(300);
  for (size_t t = 0; t < ids.size(); ++t) ids[t] = static_cast<int32_t>(t % 150 / 37);
  std::vector<Problem> problems;
  for (int n : {1, 2}) {
    set_num_threads(n);
    Problem p = make_problem(2, 150, 6, 2, 32, 40);
    p.doc_ids = doc_ids({2, 150}, ids);
    compute(p);
    problems.push_back(p);
  }
  set_num_threads(threads);
  expect_same_bits(problems[0], problems[1]);
}

}  // namespace
}  // namespace retune::ops
