#include "core/tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "support/error_of.h"

namespace retune {
namespace {

using testing::HasSubstr;

Tensor iota(const Shape& shape) {
  std::vector<float> values(static_cast<size_t>(shape.numel()));
  std::iota(values.begin(), values.end(), 0.0f);
  return Tensor::from_vector<float>(shape, DType::f32, values);
}

TEST(Shape, RankNumelAndText) {
  const Shape shape{4, 256, 576};
  EXPECT_EQ(shape.rank(), 3);
  EXPECT_EQ(shape.numel(), 4 * 256 * 576);
  EXPECT_EQ(shape.str(), "[4, 256, 576]");
  EXPECT_EQ(Shape{}.numel(), 1);
  EXPECT_THAT(error_of([] { Shape{1, 2, 3, 4, 5}; }), HasSubstr("at most 4 dimensions"));
  EXPECT_THAT(error_of([] { Shape{2, -1}; }), HasSubstr(">= 0"));
}

TEST(Tensor, EmptyZerosAndDescribe) {
  const Tensor t = Tensor::zeros({2, 3}, DType::bf16);
  EXPECT_EQ(t.nbytes(), 12u);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.describe(), "bf16[2, 3] on cpu");
  for (float v : t.to_f32_vector()) EXPECT_EQ(v, 0.0f);
  EXPECT_FALSE(Tensor().defined());
}

TEST(Tensor, DataChecksElementType) {
  const Tensor t = iota({2, 2});
  EXPECT_EQ(t.data<float>()[3], 3.0f);
  EXPECT_THAT(error_of([&] { t.data<int32_t>(); }), HasSubstr("wrong element type"));
  const Tensor h = Tensor::zeros({2}, DType::f16);
  EXPECT_NE(h.data<uint16_t>(), nullptr);
}

TEST(Tensor, TransposeSliceSelectViews) {
  const Tensor t = iota({2, 3, 4});
  const Tensor tr = t.transpose(1, 2);  // [2, 4, 3]
  EXPECT_FALSE(tr.is_contiguous());
  EXPECT_EQ(tr.shape(), (Shape{2, 4, 3}));
  const std::vector<float> values = tr.to_f32_vector();
  EXPECT_EQ(values[1], 4.0f);  // tr[0][0][1] = t[0][1][0]
  EXPECT_EQ(values[3], 1.0f);  // tr[0][1][0] = t[0][0][1]

  const Tensor s = t.slice(1, 1, 3);  // [2, 2, 4]
  EXPECT_EQ(s.to_f32_vector()[0], 4.0f);
  EXPECT_FALSE(s.is_contiguous());
  const Tensor row = t.select(0, 1);  // [3, 4]
  EXPECT_EQ(row.shape(), (Shape{3, 4}));
  EXPECT_TRUE(row.is_contiguous());
  EXPECT_EQ(row.to_f32_vector()[0], 12.0f);
  // Views share storage: writing through one shows in the other.
  row.mutable_data<float>()[0] = -1.0f;
  EXPECT_EQ(t.data<float>()[12], -1.0f);
}

TEST(Tensor, CloneMakesStridedViewsContiguous) {
  const Tensor t = iota({3, 5}).transpose(0, 1);
  const Tensor c = t.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.to_f32_vector(), t.to_f32_vector());
  EXPECT_NE(c.storage(), t.storage());
}

TEST(Tensor, ReshapeChecks) {
  const Tensor t = iota({2, 6});
  EXPECT_EQ(t.reshape({3, 4}).shape(), (Shape{3, 4}));
  EXPECT_THAT(error_of([&] { t.reshape({5}); }), HasSubstr("cannot reshape"));
  EXPECT_THAT(error_of([&] { t.transpose(0, 1).reshape({12}); }), HasSubstr("non-contiguous"));
  EXPECT_THAT(error_of([&] { t.slice(1, 4, 7); }), HasSubstr("outside dim 1"));
}

TEST(Tensor, DtypeConversions) {
  const Tensor t =
      Tensor::from_vector<float>({3}, DType::f32, std::vector<float>{1.0f, -2.5f, 3.0f});
  for (DType half : {DType::bf16, DType::f16}) {
    const Tensor h = t.to(half);
    EXPECT_EQ(h.dtype(), half);
    EXPECT_EQ(h.to(DType::f32).to_f32_vector(), t.to_f32_vector());
  }
  const Tensor ints = Tensor::from_vector<int32_t>({2}, DType::i32, std::vector<int32_t>{7, -3});
  EXPECT_EQ(ints.to(DType::i64).data<int64_t>()[1], -3);
  EXPECT_THAT(error_of([&] { t.to(DType::i32); }), HasSubstr("not supported"));
}

TEST(Tensor, FillAndCopyFromStrided) {
  Tensor t = Tensor::empty({2, 3}, DType::f32);
  t.fill(2.0);
  for (float v : t.to_f32_vector()) EXPECT_EQ(v, 2.0f);
  Tensor dst = Tensor::empty({3, 2}, DType::f32);
  dst.copy_from(iota({2, 3}).transpose(0, 1));
  EXPECT_EQ(dst.to_f32_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_THAT(error_of([&] { dst.copy_from(iota({2, 3})); }), HasSubstr("does not match"));
}

TEST(Tensor, OnStorageChecksBounds) {
  auto storage = Storage::allocate(64, Device::cpu());
  const Tensor t = Tensor::on_storage(storage, 16, {4, 2}, DType::f32);
  EXPECT_EQ(t.nbytes(), 32u);
  EXPECT_THAT(error_of([&] { Tensor::on_storage(storage, 40, {8}, DType::f32); }),
              HasSubstr("does not fit"));
  EXPECT_THAT(error_of([&] { Tensor::on_storage(storage, 2, {1}, DType::f32); }),
              HasSubstr("not a multiple"));
}

TEST(Tensor, DeviceNames) {
  EXPECT_EQ(device_name(Device::cuda(0)), "cuda:0");
  EXPECT_EQ(parse_device("cpu"), Device::cpu());
  EXPECT_EQ(parse_device("cuda"), Device::cuda(0));
  EXPECT_EQ(parse_device("cuda:3"), Device::cuda(3));
  for (const char* bad : {"gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1x", "CPU"}) {
    EXPECT_THAT(error_of([&] { parse_device(bad); }), HasSubstr("expected cpu, cuda or cuda:N"))
        << bad;
  }
}

// Copies to a GPU and back, zeros and fills there; without a GPU (CI), the error says why: the
// build has no backend, or the machine no such device.
// An empty tensor from an empty vector (whose data() is null: UBSan caught a memcpy of it).
TEST(Tensor, FromAnEmptyVector) {
  const Tensor t = Tensor::from_vector<float>({0, 3}, DType::f32, std::vector<float>{});
  EXPECT_EQ(t.numel(), 0);
  EXPECT_TRUE(t.to_f32_vector().empty());
}

// Storage::version changes with every write through a tensor (a pointer to write through,
// copy_from, fill), not with reads or views, and no two storages share one.
TEST(Tensor, StorageVersionChangesWithEveryWrite) {
  const Tensor t = iota({2, 3});
  const Tensor other = iota({2, 3});
  EXPECT_NE(t.storage()->version(), other.storage()->version());
  uint64_t version = t.storage()->version();
  auto changed = [&] {
    const uint64_t now = t.storage()->version();
    return std::exchange(version, now) != now;
  };
  t.data<float>();
  t.transpose(0, 1).to_f32_vector();
  EXPECT_FALSE(changed()) << "reads";
  t.slice(1, 0, 2).mutable_data<float>();
  EXPECT_TRUE(changed()) << "mutable_data of a view";
  t.copy_from(other);
  EXPECT_TRUE(changed()) << "copy_from";
  t.fill(1.0);
  EXPECT_TRUE(changed()) << "fill";
  t.mutable_device_data<float>();
  EXPECT_TRUE(changed()) << "mutable_device_data";
  EXPECT_NE(t.clone().storage()->version(), t.storage()->version());
}

TEST(Tensor, GpuRoundTripOrAClearRefusal) {
  const Tensor t = iota({2, 3});
  EXPECT_TRUE(t.device().is_cpu());
  EXPECT_EQ(t.to(Device::cpu()).to_f32_vector(), t.to_f32_vector());
  const Device gpu = Device::cuda(0);
  if (cuda_device_count() == 0) {
    const std::string error = error_of([&] { t.to(gpu); });
    EXPECT_TRUE(error.find("no backend") != std::string::npos ||
                error.find("does not exist") != std::string::npos)
        << error;
    return;
  }
  activate_device(gpu);
  const Tensor on_gpu = t.to(gpu);
  EXPECT_EQ(on_gpu.device(), gpu);
  EXPECT_THAT(error_of([&] { on_gpu.data<float>(); }), HasSubstr("host access"));
  EXPECT_EQ(on_gpu.to(Device::cpu()).to_f32_vector(), t.to_f32_vector());
  EXPECT_EQ(on_gpu.to_f32_vector(), t.to_f32_vector());
  EXPECT_EQ(on_gpu.to(DType::bf16).to(DType::f32).to_f32_vector(), t.to_f32_vector());
  EXPECT_EQ(Tensor::zeros({4}, DType::f32, gpu).to_f32_vector(), std::vector<float>(4, 0.0f));
  const Tensor filled = on_gpu.clone();
  filled.fill(2.5);
  EXPECT_EQ(filled.to_f32_vector(), std::vector<float>(6, 2.5f));
  filled.fill(0.0);
  EXPECT_EQ(filled.to_f32_vector(), std::vector<float>(6, 0.0f));
  filled.copy_from(t);
  EXPECT_EQ(filled.to_f32_vector(), t.to_f32_vector());
  EXPECT_THAT(error_of([&] { filled.transpose(0, 1).copy_from(on_gpu.transpose(0, 1)); }),
              HasSubstr("need views whose elements are evenly spaced runs"));
  EXPECT_THAT(error_of([&] { Tensor::empty({2}, DType::f32, Device::cuda(7)); }),
              HasSubstr("cuda:7"));
}

// Views of evenly spaced runs copy to, from and on a GPU (one pitched copy): a column slice of a
// matrix (GPT-2's q, k and v of one product), rows [1, 3) of each batch item of a [2, 5, 3]
// cache, and their contiguous() and fill.
TEST(Tensor, GpuCopiesSlicesOfOneDim) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  const Tensor matrix = iota({4, 6});
  const Tensor on_gpu = matrix.to(gpu);
  const Tensor columns = on_gpu.slice(1, 2, 4);  // [4, 2], rows 6 apart
  EXPECT_EQ(columns.contiguous().to_f32_vector(),
            matrix.slice(1, 2, 4).contiguous().to_f32_vector());
  EXPECT_EQ(columns.to(Device::cpu()).to_f32_vector(),
            matrix.slice(1, 2, 4).contiguous().to_f32_vector());
  const Tensor written = Tensor::zeros({4, 6}, DType::f32, gpu);
  written.slice(1, 2, 4).copy_from(matrix.slice(1, 0, 2));  // host to device, both strided
  const Tensor want = Tensor::zeros({4, 6}, DType::f32);
  want.slice(1, 2, 4).copy_from(matrix.slice(1, 0, 2));
  EXPECT_EQ(written.to_f32_vector(), want.to_f32_vector());
  written.slice(1, 0, 1).fill(7.0);
  want.slice(1, 0, 1).fill(7.0);
  EXPECT_EQ(written.to_f32_vector(), want.to_f32_vector());
  const Tensor cache = Tensor::zeros({2, 5, 3}, DType::f32, gpu);
  const Tensor rows = iota({2, 2, 3});
  cache.slice(1, 1, 3).copy_from(rows.to(gpu));
  const Tensor cache_want = Tensor::zeros({2, 5, 3}, DType::f32);
  cache_want.slice(1, 1, 3).copy_from(rows);
  EXPECT_EQ(cache.to_f32_vector(), cache_want.to_f32_vector());
}

}  // namespace
}  // namespace retune
