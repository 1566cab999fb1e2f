#include "io/safetensors_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

using testing::HasSubstr;
using testing::StartsWith;

// The 8-byte little-endian length, `header` padded with spaces to a multiple of 8 bytes (as
// the Python library pads it), then `data`.
std::string safetensors_bytes(std::string header, const std::string& data = "") {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>(header.size() >> (8 * i));
  return bytes + header + data;
}

std::string float_bytes(std::initializer_list<float> values) {
  std::string bytes(values.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

class SafetensorsFileTest : public testing::Test {
 protected:
  std::filesystem::path write(const std::string& bytes) {
    const auto path = dir_ / "file.safetensors";
    write_file(path, bytes);
    return path;
  }
  // The message of opening a file holding a header (and data).
  std::string open_error(const std::string& header, const std::string& data = "") {
    return error_of([&] { SafetensorsFile::open(write(safetensors_bytes(header, data))); });
  }
  // The message for a one-tensor header whose entry is `entry`, with 8 data bytes.
  std::string entry_error(const std::string& entry) {
    return open_error("{\"w\":" + entry + "}", std::string(8, '\0'));
  }
  std::string path() const { return (dir_ / "file.safetensors").string(); }

  TempDir dir_;
};

// The exact layout safetensors' Python library writes: header padded with spaces to 8 bytes.
TEST_F(SafetensorsFileTest, ReadsTheByteLayoutOfThePythonLibrary) {
  std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_EQ(header.size(), 54u);
  header += "  ";
  std::string bytes = {56, 0, 0, 0, 0, 0, 0, 0};
  bytes += header;
  bytes += {0, 0, '\x80', '\x3f', 0, 0, 0, '\x40'};  // 1.0f, 2.0f
  const auto file = SafetensorsFile::open(write(bytes));
  EXPECT_EQ(file.names(), (std::vector<std::string>{"a"}));
  EXPECT_EQ(file.data_start(), 64u);
  const SafetensorsTensorInfo& info = file.info("a");
  EXPECT_EQ(info.dtype, DType::f32);
  EXPECT_EQ(info.shape, Shape({2}));
  EXPECT_EQ(info.begin, 0u);
  EXPECT_EQ(info.end, 8u);
  EXPECT_EQ(file.tensor("a").to_f32_vector(), (std::vector<float>{1, 2}));
  EXPECT_TRUE(file.metadata().empty());
}

TEST_F(SafetensorsFileTest, KeepsFileOrderMetadataAndEmptyTensors) {
  const std::string header = R"({"z":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
                             R"("__metadata__":{"format":"pt","note":"x"},)"
                             R"("e":{"dtype":"BF16","shape":[0,3],"data_offsets":[4,4]},)"
                             R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  const auto file = SafetensorsFile::open(write(safetensors_bytes(header, float_bytes({5, 6}))));
  EXPECT_EQ(file.names(), (std::vector<std::string>{"z", "e", "a"}));
  EXPECT_EQ(file.metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"note", "x"}}));
  EXPECT_EQ(file.tensor("z").rank(), 0);
  EXPECT_EQ(file.tensor("z").to_f32_vector(), (std::vector<float>{5}));
  EXPECT_EQ(file.tensor("e").shape(), Shape({0, 3}));
  EXPECT_EQ(file.tensor("a").to_f32_vector(), (std::vector<float>{6}));
  EXPECT_TRUE(file.has("e"));
  EXPECT_FALSE(file.has("__metadata__"));
}

TEST_F(SafetensorsFileTest, TensorsAreZeroCopyViewsOfTheMapping) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const auto file = SafetensorsFile::open(write(safetensors_bytes(header, float_bytes({1, 2}))));
  const Tensor t = file.tensor("a");
  EXPECT_EQ(t.storage()->origin(), StorageOrigin::mapped);
  EXPECT_FALSE(t.writable());
  EXPECT_EQ(reinterpret_cast<const std::byte*>(t.data<float>()),
            file.mapping()->data() + file.data_start());
  EXPECT_THAT(error_of([&] { t.mutable_data<float>(); }), HasSubstr("read-only"));
}

TEST_F(SafetensorsFileTest, MissingTensorNamesFileAndTensor) {
  const auto file = SafetensorsFile::open(write(safetensors_bytes("{}")));
  EXPECT_EQ(error_of([&] { file.tensor("lm_head.weight"); }),
            path() + ": no tensor named 'lm_head.weight'");
  EXPECT_EQ(error_of([&] { file.info("x"); }), path() + ": no tensor named 'x'");
}

TEST_F(SafetensorsFileTest, RefusesAFileShorterThanTheLength) {
  EXPECT_EQ(error_of([&] { SafetensorsFile::open(write("abc")); }),
            path() + ": file of 3 bytes is too short for a safetensors header length (8 bytes)");
}

TEST_F(SafetensorsFileTest, RefusesAHeaderLengthPastTheLimitOrTheFile) {
  std::string bytes = safetensors_bytes("{}");
  bytes[0] = '\x01';
  bytes[1] = '\xe1';
  bytes[2] = '\xf5';
  bytes[3] = '\x05';  // 100,000,001
  EXPECT_EQ(error_of([&] { SafetensorsFile::open(write(bytes)); }),
            path() + ": header length 100000001 exceeds the limit of 100000000 bytes");
  bytes = safetensors_bytes("{}");
  bytes[0] = '\x09';
  EXPECT_EQ(error_of([&] { SafetensorsFile::open(write(bytes)); }),
            path() + ": header length 9 runs past the end of the file (16 bytes)");
  bytes[7] = '\xff';  // 2^63 and more: no overflow in the comparison
  EXPECT_THAT(error_of([&] { SafetensorsFile::open(write(bytes)); }),
              HasSubstr("exceeds the limit"));
}

TEST_F(SafetensorsFileTest, RefusesHeadersThatAreNotAJsonObject) {
  EXPECT_THAT(open_error("{\"a\": "), StartsWith(path() + ": header is not valid JSON: "));
  EXPECT_THAT(open_error(""), StartsWith(path() + ": header is not valid JSON: "));
  EXPECT_THAT(open_error("{\"a\":\"\xff\"}"), StartsWith(path() + ": header is not valid JSON: "));
  EXPECT_EQ(open_error("[1, 2]"), path() + ": header is not a JSON object but array");
  EXPECT_EQ(open_error("{\"a\":{\"shape\":[[1]]}}"),
            path() + ": header nests deeper than a safetensors header (3 levels)");
  EXPECT_EQ(open_error(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{}})", "    "),
            path() + ": header has the key 'a' twice");
}

TEST_F(SafetensorsFileTest, RefusesEntriesMissingFieldsOrOfTheWrongType) {
  const std::string at = path() + ": tensor 'w': ";
  EXPECT_EQ(entry_error("[]"), at + "entry is not a JSON object");
  EXPECT_EQ(entry_error(R"({"shape":[2],"data_offsets":[0,8]})"), at + "entry has no \"dtype\"");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","data_offsets":[0,8]})"), at + "entry has no \"shape\"");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[2]})"), at + "entry has no \"data_offsets\"");
  EXPECT_EQ(entry_error(R"({"dtype":4,"shape":[2],"data_offsets":[0,8]})"),
            at + "\"dtype\" is not a string: 4");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})"),
            at + "\"shape\" is not an array: 2");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8,9]})"),
            at + "\"data_offsets\" is not an array of two integers >= 0: [0,8,9]");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[2],"data_offsets":[-1,8]})"),
            at + "\"data_offsets\" is not an array of two integers >= 0: [-1,8]");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[2],"data_offsets":"0,8"})"),
            at + "\"data_offsets\" is not an array of two integers >= 0: \"0,8\"");
}

TEST_F(SafetensorsFileTest, RefusesDtypesRetuneDoesNotRead) {
  const std::string at = path() + ": tensor 'w': ";
  EXPECT_EQ(entry_error(R"({"dtype":"F64","shape":[1],"data_offsets":[0,8]})"),
            at + "unsupported dtype 'F64' (retune reads F32, BF16, F16, I32 and I64)");
  EXPECT_EQ(entry_error(R"({"dtype":"Q4_K","shape":[1],"data_offsets":[0,8]})"),
            at + "unsupported dtype 'Q4_K' (retune reads F32, BF16, F16, I32 and I64)");
}

TEST_F(SafetensorsFileTest, RefusesBadShapes) {
  const std::string at = path() + ": tensor 'w': ";
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]})"),
            at + "shape [2,-1] has a dimension that is not an integer >= 0: -1");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[2.5],"data_offsets":[0,8]})"),
            at + "shape [2.5] has a dimension that is not an integer >= 0: 2.5");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":["2"],"data_offsets":[0,8]})"),
            at + "shape [\"2\"] has a dimension that is not an integer >= 0: \"2\"");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]})"),
            at + "shape [1,1,1,1,2] has 5 dimensions; at most 4");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[1073741824,1073741824],"data_offsets":[0,8]})"),
            at + "shape [1073741824,1073741824] has more than 576460752303423488 elements");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]})"),
            at + "shape [18446744073709551615] has more than 576460752303423488 elements");
}

TEST_F(SafetensorsFileTest, RefusesBadDataOffsets) {
  const std::string at = path() + ": tensor 'w': ";
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[0],"data_offsets":[8,4]})"),
            at + "data_offsets [8, 4] begin after they end");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"),
            at + "data_offsets [0, 16] run past the end of the data section (8 bytes)");
  EXPECT_EQ(entry_error(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"),
            at + "data_offsets [0, 8] hold 8 bytes, but F32 [3] needs 12");
  EXPECT_EQ(entry_error(R"({"dtype":"I64","shape":[],"data_offsets":[0,4]})"),
            at + "data_offsets [0, 4] hold 4 bytes, but I64 [] needs 8");
}

TEST_F(SafetensorsFileTest, RefusesMisalignedData) {
  // Header of 56 bytes: the data section starts at file byte 64; the tensor at 66.
  std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})";
  header.append(56 - header.size(), ' ');
  EXPECT_EQ(open_error(header, std::string(8, '\0')),
            path() +
                ": tensor 'w': data starts at file byte 66, which is not a multiple of the 4-byte "
                "F32 element size");
}

TEST_F(SafetensorsFileTest, RefusesOverlappingTensors) {
  EXPECT_EQ(open_error(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                       std::string(8, '\0')),
            path() + ": tensors 'a' [0, 8) and 'b' [4, 8) overlap in the data section");
  // Empty tensors take no bytes, wherever they point.
  EXPECT_EQ(open_error(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
                       std::string(8, '\0')),
            "no error");
}

TEST_F(SafetensorsFileTest, RefusesMoreThanAMillionTensors) {
  std::string header = "{";
  for (size_t i = 0; i <= SafetensorsFile::kMaxTensors; ++i) {
    header += (i ? ",\"" : "\"") + std::to_string(i) + "\":0";
  }
  header += "}";
  EXPECT_EQ(open_error(header), path() + ": header lists more than 1000000 tensors");
}

TEST_F(SafetensorsFileTest, RefusesMetadataThatIsNotStrings) {
  EXPECT_EQ(open_error(R"({"__metadata__":{"format":"pt","total":12}})"),
            path() + ": \"__metadata__\" value for 'total' is not a string: 12");
  EXPECT_EQ(open_error(R"({"__metadata__":["pt"]})"),
            path() + ": \"__metadata__\" is not a JSON object");
}

}  // namespace
}  // namespace retune
