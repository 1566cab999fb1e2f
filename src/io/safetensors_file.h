// SafetensorsFile: one .safetensors file, mmapped and validated, read without copies.
//
// Layout (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N,
// N bytes of JSON ({"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}),
// then the data section; data_offsets are [begin, end) bytes into the data section.
//
// open() checks the whole header before anything is read: every error names the file first
// and says what is wrong. Tensors are read-only views of the mapping (zero-copy); the mapping
// stays alive as long as the SafetensorsFile or any tensor taken from it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/mapped_file.h"
#include "core/tensor.h"

namespace retune {

// One tensor's entry in the header.
struct SafetensorsTensorInfo {
  DType dtype = DType::f32;
  Shape shape;
  uint64_t begin = 0;  // [begin, end): bytes into the data section (after the header)
  uint64_t end = 0;
};

class SafetensorsFile {
 public:
  // The most header bytes and tensors a file may declare (the Python library's header limit).
  static constexpr uint64_t kMaxHeaderBytes = 100'000'000;
  static constexpr size_t kMaxTensors = 1'000'000;

  // Maps and validates the file; throws an Error starting with the path.
  static SafetensorsFile open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_->path(); }
  // Tensor names in the order the header lists them.
  const std::vector<std::string>& names() const { return names_; }
  bool has(const std::string& name) const { return infos_.contains(name); }
  // Throws, naming the file and the tensor, when there is no such tensor.
  const SafetensorsTensorInfo& info(const std::string& name) const;
  // A read-only CPU tensor viewing the mapped bytes (storage origin: mapped).
  Tensor tensor(const std::string& name) const;
  // The header's "__metadata__" (empty when absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The mapping the tensors view.
  const std::shared_ptr<MappedFile>& mapping() const { return file_; }
  // Byte offset of the data section from the file start (8 + header length).
  uint64_t data_start() const { return data_start_; }

 private:
  SafetensorsFile() = default;

  std::shared_ptr<MappedFile> file_;
  uint64_t data_start_ = 0;
  std::vector<std::string> names_;
  std::unordered_map<std::string, SafetensorsTensorInfo> infos_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace retune
