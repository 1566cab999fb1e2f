#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace retune {

MappedFile::MappedFile(std::filesystem::path path, std::byte* data, size_t size)
    : path_(std::move(path)), data_(data), size_(size) {}

MappedFile::~MappedFile() {
  if (size_ > 0) munmap(data_, size_);
}

std::shared_ptr<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path.string(), std::strerror(errno));
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    fail("{}: not a regular file", path.string());
  }
  const auto size = static_cast<size_t>(info.st_size);
  std::byte* data = nullptr;
  if (size > 0) {
    void* mapping = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      const int error = errno;
      ::close(fd);
      fail("{}: cannot mmap {} bytes: {}", path.string(), size, std::strerror(error));
    }
    data = static_cast<std::byte*>(mapping);
  }
  ::close(fd);
  return std::shared_ptr<MappedFile>(new MappedFile(path, data, size));
}

std::shared_ptr<Storage> MappedFile::region(size_t offset, size_t nbytes) const {
  if (offset > size_ || nbytes > size_ - offset) {
    fail("{}: region [{}, {}) lies outside the file of {} bytes", path_.string(), offset,
         offset + nbytes, size_);
  }
  return Storage::wrap(data_ + offset, nbytes, Device::cpu(), StorageOrigin::mapped, false,
                       shared_from_this());
}

}  // namespace retune
