#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "core/arena.h"
#include "core/mapped_file.h"
#include "core/tensor.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

using testing::HasSubstr;

TEST(Storage, OwnedIsAlignedAndWritable) {
  auto storage = Storage::allocate(100, Device::cpu());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(storage->data()) % 64, 0u);
  EXPECT_TRUE(storage->writable());
  EXPECT_EQ(storage->origin(), StorageOrigin::owned);
}

TEST(Arena, CarvesAlignedRegionsAndResets) {
  Arena arena(1024, Device::cpu());
  auto a = arena.carve(10);
  auto b = arena.carve(100);
  EXPECT_EQ(a->origin(), StorageOrigin::arena);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b->data()) % 64, 0u);
  EXPECT_EQ(b->data() - a->data(), 64);
  EXPECT_EQ(arena.used(), 164u);
  EXPECT_THAT(error_of([&] { arena.carve(1000); }), HasSubstr("arena full"));
  arena.reset();
  EXPECT_EQ(arena.used(), 0u);
  EXPECT_EQ(arena.high_water(), 164u);
  EXPECT_EQ(arena.carve(10)->data(), a->data());
}

TEST(Arena, CarvedStorageOutlivesTheArena) {
  std::shared_ptr<Storage> storage;
  {
    Arena arena(256, Device::cpu());
    storage = arena.carve(128);
  }
  const Tensor t = Tensor::on_storage(storage, 0, {32}, DType::f32);
  t.mutable_data<float>()[31] = 1.0f;  // still valid memory (ASan would catch otherwise)
  EXPECT_EQ(t.data<float>()[31], 1.0f);
}

class MappedFileTest : public testing::Test {
 protected:
  void SetUp() override {
    const float values[] = {1.0f, 2.0f, 3.0f, 4.0f};
    write_file(path_, std::string(reinterpret_cast<const char*>(values), sizeof(values)));
  }
  TempDir dir_;
  std::filesystem::path path_ = dir_ / "mapped.bin";
};

TEST_F(MappedFileTest, RegionsAreZeroCopyReadOnlyTensors) {
  auto file = MappedFile::open(path_);
  EXPECT_EQ(file->size(), 16u);
  const Tensor t = Tensor::on_storage(file->region(4, 12), 0, {3}, DType::f32);
  EXPECT_EQ(t.storage()->origin(), StorageOrigin::mapped);
  EXPECT_EQ(t.to_f32_vector(), (std::vector<float>{2.0f, 3.0f, 4.0f}));
  EXPECT_EQ(reinterpret_cast<const std::byte*>(t.data<float>()), file->data() + 4);
  EXPECT_THAT(error_of([&] { t.mutable_data<float>(); }), HasSubstr("read-only"));
  EXPECT_THAT(error_of([&] { file->region(8, 12); }), HasSubstr("outside the file"));
}

TEST_F(MappedFileTest, MappingLivesAsLongAsItsTensors) {
  Tensor t;
  {
    auto file = MappedFile::open(path_);
    t = Tensor::on_storage(file->region(0, 16), 0, {4}, DType::f32);
  }
  EXPECT_EQ(t.to_f32_vector()[3], 4.0f);
}

TEST(MappedFile, MissingFileNamesThePath) {
  EXPECT_THAT(error_of([] { MappedFile::open("/nonexistent/retune/model.safetensors"); }),
              HasSubstr("/nonexistent/retune/model.safetensors: cannot open"));
}

}  // namespace
}  // namespace retune
