#include "io/safetensors_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "io/atomic_file.h"
#include "io/safetensors_file.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

using testing::HasSubstr;

// The raw bytes of a tensor, row-major (a clone starts at the beginning of its own storage).
std::string tensor_bytes(const Tensor& tensor) {
  const Tensor copy = tensor.clone();
  return std::string(reinterpret_cast<const char*>(copy.storage()->data()), copy.nbytes());
}

TEST(SafetensorsWriter, WritesTheByteLayoutOfThePythonLibrary) {
  TempDir dir;
  write_safetensors(dir / "a.safetensors",
                    {{"a", Tensor::from_vector<float>({2}, DType::f32, std::vector<float>{1, 2})}});
  std::string expected = {56, 0, 0, 0, 0, 0, 0, 0};
  expected += R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  )";
  expected += {0, 0, '\x80', '\x3f', 0, 0, 0, '\x40'};
  EXPECT_EQ(read_file(dir / "a.safetensors"), expected);
}

TEST(SafetensorsWriter, OrdersLikeThePythonLibraryWidestDtypeFirstThenName) {
  TempDir dir;
  const Tensor half = Tensor::zeros({1}, DType::f16);
  write_safetensors(dir / "m.safetensors",
                    {{"b", half},
                     {"c", Tensor::zeros({}, DType::f32)},
                     {"a", Tensor::zeros({1}, DType::i64)},
                     {"aa", half}},
                    {{"format", "pt"}, {"a\"b", "\n"}});
  const std::string header = R"({"__metadata__":{"a\"b":"\n","format":"pt"},)"
                             R"("a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
                             R"("c":{"dtype":"F32","shape":[],"data_offsets":[8,12]},)"
                             R"("aa":{"dtype":"F16","shape":[1],"data_offsets":[12,14]},)"
                             R"("b":{"dtype":"F16","shape":[1],"data_offsets":[14,16]}})";
  const std::string bytes = read_file(dir / "m.safetensors");
  ASSERT_EQ(bytes.size() % 8, 0u);
  EXPECT_EQ(bytes.substr(8, header.size()), header);
  const auto file = SafetensorsFile::open(dir / "m.safetensors");
  EXPECT_EQ(file.names(), (std::vector<std::string>{"a", "c", "aa", "b"}));
  EXPECT_EQ(file.metadata(),
            (std::map<std::string, std::string>{{"format", "pt"}, {"a\"b", "\n"}}));
}

TEST(SafetensorsWriter, RoundTripsEveryDtypeAndShape) {
  TempDir dir;
  const std::vector<float> values = {0.5f, -1.25f, 3.0f, 1e-3f, -0.0f, 65504.0f};
  const Tensor f32 = Tensor::from_vector<float>({2, 3}, DType::f32, values);
  const std::vector<int32_t> ints = {1, -2, 2147483647, -2147483647 - 1};
  const std::vector<int64_t> longs = {int64_t{1} << 40, -7};
  const NamedTensors tensors = {
      {"f32", f32},
      {"bf16", f32.to(DType::bf16)},
      {"f16", f32.to(DType::f16).reshape({1, 1, 2, 3})},
      {"i32", Tensor::from_vector<int32_t>({4}, DType::i32, ints)},
      {"i64", Tensor::from_vector<int64_t>({2, 1}, DType::i64, longs)},
      {"scalar", Tensor::from_vector<float>({}, DType::f32, std::vector<float>{7})},
      {"empty", Tensor::zeros({3, 0}, DType::bf16)},
      {"transposed", f32.transpose(0, 1)},  // non-contiguous: written as its row-major copy
  };
  write_safetensors(dir / "all.safetensors", tensors, {{"format", "pt"}});
  const auto file = SafetensorsFile::open(dir / "all.safetensors");
  EXPECT_EQ(file.metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
  ASSERT_EQ(file.names().size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    SCOPED_TRACE(name);
    const Tensor read = file.tensor(name);
    EXPECT_EQ(read.dtype(), tensor.dtype());
    EXPECT_EQ(read.shape(), tensor.shape());
    EXPECT_EQ(read.storage()->origin(), StorageOrigin::mapped);
    EXPECT_EQ(tensor_bytes(read), tensor_bytes(tensor));
  }
  EXPECT_EQ(file.tensor("transposed").shape(), Shape({3, 2}));
  EXPECT_EQ(file.tensor("transposed").to_f32_vector(),
            (std::vector<float>{0.5f, 1e-3f, -1.25f, -0.0f, 3.0f, 65504.0f}));
  EXPECT_EQ(file.tensor("i64").data<int64_t>()[0], int64_t{1} << 40);
}

TEST(SafetensorsWriter, RefusesDuplicateAndReservedNames) {
  TempDir dir;
  const Tensor t = Tensor::zeros({1}, DType::f32);
  const std::string path = (dir / "x.safetensors").string();
  EXPECT_EQ(error_of([&] {
              write_safetensors(path, {{"a", t}, {"a", t}});
            }),
            path + ": tensor 'a' given twice");
  EXPECT_EQ(error_of([&] {
              write_safetensors(path, {{"__metadata__", t}});
            }),
            path + ": '__metadata__' cannot name a tensor");
  EXPECT_EQ(error_of([&] {
              write_safetensors(path, {{"\xff", t}});
            }),
            path + ": '\xff' is not valid UTF-8");
  EXPECT_TRUE(folder_listing(dir.path()).empty());
}

TEST(SafetensorsWriter, AnInterruptedWriteLeavesNothingBehind) {
  TempDir dir;
  const auto path = dir / "model.safetensors";
  const Tensor good = Tensor::zeros({1000}, DType::f32);
  EXPECT_EQ(error_of([&] {
              write_safetensors(path, {{"a", good}, {"b", Tensor()}});
            }),
            path.string() + ": tensor 'b': contiguous of an undefined tensor");
  EXPECT_TRUE(folder_listing(dir.path()).empty());

  // A tensor tagged with a device that this build or machine lacks: its bytes cannot be read.
  auto host = Storage::allocate(16, Device::cpu());
  auto cuda = Storage::wrap(host->data(), 16, Device::cuda(7), StorageOrigin::owned, true, host);
  const Tensor on_gpu = Tensor::on_storage(cuda, 0, {4}, DType::f32);
  EXPECT_THAT(error_of([&] {
                write_safetensors(path, {{"a", good}, {"gpu", on_gpu}});
              }),
              HasSubstr(path.string() + ": tensor 'gpu': "));
  EXPECT_TRUE(folder_listing(dir.path()).empty());

  // A failed write keeps the file already there.
  write_safetensors(path, {{"a", good}});
  const std::string before = read_file(path);
  EXPECT_THAT(error_of([&] {
                write_safetensors(path, {{"b", Tensor()}});
              }),
              HasSubstr("undefined"));
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(folder_listing(dir.path()), (std::vector<std::string>{"model.safetensors"}));
}

TEST(SafetensorsAtomicFile, AppearsOnlyOnCommit) {
  TempDir dir;
  const std::string text = "hello";
  {
    AtomicFile file(dir / "a.txt");
    file.write(std::as_bytes(std::span(text)));
    EXPECT_EQ(folder_listing(dir.path()),
              (std::vector<std::string>{"a.txt.tmp-" + std::to_string(::getpid())}));
  }
  EXPECT_TRUE(folder_listing(dir.path()).empty());
  AtomicFile file(dir / "a.txt");
  file.write(std::as_bytes(std::span(text)));
  file.commit();
  EXPECT_EQ(folder_listing(dir.path()), (std::vector<std::string>{"a.txt"}));
  EXPECT_EQ(read_file(dir / "a.txt"), text);
}

TEST(SafetensorsWriter, NamesAFolderItCannotWriteInto) {
  const std::string path = "/nonexistent/retune/model.safetensors";
  EXPECT_EQ(error_of([&] { write_safetensors(path, {}); }),
            fmt::format("{}.tmp-{}: cannot create: No such file or directory", path, ::getpid()));
}

}  // namespace
}  // namespace retune
