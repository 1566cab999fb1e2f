// MappedFile: a whole file mmapped read-only. Regions of it become tensor storage without a
// copy (frozen weights read from safetensors). The mapping lives as long as any storage
// made from it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>

#include "core/storage.h"

namespace retune {

class MappedFile : public std::enable_shared_from_this<MappedFile> {
 public:
  // Maps the file; throws an Error naming the path and the system's reason on failure.
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

  // A read-only CPU storage over [offset, offset + nbytes); throws if it leaves the file.
  std::shared_ptr<Storage> region(size_t offset, size_t nbytes) const;

 private:
  MappedFile(std::filesystem::path path, std::byte* data, size_t size);

  std::filesystem::path path_;
  std::byte* data_;
  size_t size_;
};

}  // namespace retune
