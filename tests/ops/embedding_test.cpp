// What the embedding specs cannot show: rejected arguments, dtable accumulation, 16-bit tables
// against their f32 conversion, and thread-count independence of the scatter.
#include "ops/embedding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "core/rng.h"
#include "core/threads.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

Tensor id_tensor(std::vector<int32_t> ids) {
  return Tensor::from_vector<int32_t>({static_cast<int64_t>(ids.size())}, DType::i32, ids);
}

Tensor random_ids(int64_t N, int64_t V, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> ids(static_cast<size_t>(N));
  for (int32_t& id : ids) id = static_cast<int32_t>(rng.integer(0, V - 1));
  return id_tensor(ids);
}

TEST(Embedding, RejectsBadArgumentsNamingThem) {
  const Tensor table = uniform_tensor({10, 4}, 1);
  const Tensor out = Tensor::empty({3, 4}, DType::f32);
  auto forward = [&](const Tensor& ids, const Tensor& t, const Tensor& o) {
    return error_of([&] { embedding_forward(ids, t, o); });
  };
  EXPECT_EQ(forward(id_tensor({0, 10, 2}), table, out),
            "embedding_forward: ids[1] = 10 is outside the vocabulary [0, 10)");
  EXPECT_THAT(forward(id_tensor({0, 1, -3}), table, out),
              HasSubstr("ids[2] = -3 is outside the vocabulary [0, 10)"));
  EXPECT_THAT(forward(id_tensor({0, 1, 2}).to(DType::i64), table, out),
              HasSubstr("embedding_forward: ids is i64[3] on cpu, expected a contiguous i32[N]"));
  EXPECT_THAT(forward(id_tensor({0, 1, 2}), Tensor::zeros({10, 4}, DType::i32), out),
              HasSubstr("table is i32[10, 4] on cpu, expected a contiguous [V, C] in f32, bf16 "
                        "or f16"));
  EXPECT_THAT(forward(id_tensor({0, 1, 2}), table.transpose(0, 1), out),
              HasSubstr("table is f32[4, 10] on cpu, expected a contiguous [V, C]"));
  EXPECT_THAT(forward(id_tensor({0, 1, 2}), table, Tensor::empty({3, 5}, DType::f32)),
              HasSubstr("embedding_forward: out is f32[3, 5] on cpu, expected a contiguous "
                        "f32[3, 4] on cpu"));

  const Tensor dout = uniform_tensor({3, 4}, 2);
  const Tensor dtable = Tensor::zeros({10, 4}, DType::f32);
  auto backward = [&](const Tensor& ids, const Tensor& d, const Tensor& dt) {
    return error_of([&] { embedding_backward(ids, d, dt); });
  };
  EXPECT_EQ(backward(id_tensor({0, 1, 12}), dout, dtable),
            "embedding_backward: ids[2] = 12 is outside the vocabulary [0, 10)");
  EXPECT_THAT(backward(id_tensor({0, 1}), dout, dtable),
              HasSubstr("embedding_backward: dout is f32[3, 4] on cpu, expected 2 rows"));
  EXPECT_THAT(backward(id_tensor({0, 1, 2}), dout, Tensor::zeros({10, 5}, DType::f32)),
              HasSubstr("dtable is f32[10, 5] on cpu, expected a contiguous f32[10, 4]"));
  EXPECT_THAT(backward(id_tensor({0, 1, 2}), dout, Tensor::zeros({10, 4}, DType::bf16)),
              HasSubstr("dtable is bf16[10, 4] on cpu, expected a contiguous f32[V, C]"));
}

TEST(Embedding, DtableAccumulates) {
  const Tensor ids = id_tensor({3, 1, 3, 0, 3});  // id 3 repeats
  const Tensor dout = uniform_tensor({5, 70}, 3);
  const Tensor once = Tensor::zeros({4, 70}, DType::f32);
  embedding_backward(ids, dout, once);
  const Tensor twice = Tensor::zeros({4, 70}, DType::f32);
  embedding_backward(ids, dout, twice);
  embedding_backward(ids, dout, twice);
  const std::vector<float> a = once.to_f32_vector();
  const std::vector<float> b = twice.to_f32_vector();
  // Each occurrence adds into dtable in turn, so row 3 rounds differently the second time.
  for (size_t i = 0; i < a.size(); ++i) EXPECT_FLOAT_EQ(b[i], 2 * a[i]) << i;
  // Row 2 has no token: untouched.
  for (int64_t c = 0; c < 70; ++c) EXPECT_EQ(a[static_cast<size_t>(2 * 70 + c)], 0.0f);
}

TEST(Embedding, UndefinedDtableIsSkipped) {
  EXPECT_EQ(error_of([] {
              embedding_backward(id_tensor({0, 1}), uniform_tensor({2, 3}, 4), Tensor());
            }),
            "no error");
}

TEST(Embedding, SixteenBitTableEqualsF32OfTheConvertedTable) {
  const Tensor ids = random_ids(37, 50, 5);
  const Tensor table = uniform_tensor({50, 33}, 6);
  for (const DType dtype : {DType::bf16, DType::f16}) {
    const Tensor narrow = table.to(dtype);
    const Tensor got = Tensor::empty({37, 33}, DType::f32);
    embedding_forward(ids, narrow, got);
    const Tensor want = Tensor::empty({37, 33}, DType::f32);
    embedding_forward(ids, narrow.to(DType::f32), want);
    EXPECT_EQ(got.to_f32_vector(), want.to_f32_vector()) << dtype_name(dtype);
  }
}

TEST(Embedding, SameBitsForOneAndTwoThreads) {
  const int threads = num_threads();
  const Tensor ids = random_ids(301, 7, 7);  // many repeats of each id
  const Tensor dout = uniform_tensor({301, 200}, 8);
  std::vector<std::vector<float>> results;
  for (int n : {1, 2}) {
    set_num_threads(n);
    const Tensor dtable = Tensor::zeros({7, 200}, DType::f32);
    embedding_backward(ids, dout, dtable);
    results.push_back(dtable.to_f32_vector());
  }
  set_num_threads(threads);
  EXPECT_EQ(results[0], results[1]);
}

}  // namespace
}  // namespace retune::ops
