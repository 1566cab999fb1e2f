#include "io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.h"
#include "io/temporary_path.h"

namespace retune {

namespace {

[[noreturn]] void fail_errno(const std::filesystem::path& path, const char* what) {
  fail("{}: cannot {}: {}", path.string(), what, std::strerror(errno));
}

// Makes the rename itself durable; best effort (some file systems refuse fsync on folders).
void sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path)
    : path_(std::move(path)), temp_path_(temporary_beside(path_)) {
  remove_stale_temporaries(path_);
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno(temp_path_, "create");
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(std::span<const std::byte> bytes) {
  RETUNE_CHECK(fd_ >= 0, "{}: write after commit", path_.string());
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd_, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      fail_errno(temp_path_, "write");
    }
    bytes = bytes.subspan(static_cast<size_t>(written));
  }
}

void AtomicFile::commit() {
  RETUNE_CHECK(fd_ >= 0, "{}: committed twice", path_.string());
  if (::fsync(fd_) != 0) fail_errno(temp_path_, "fsync");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail_errno(temp_path_, "close");
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) fail_errno(path_, "rename into place");
  committed_ = true;
  sync_folder(path_.parent_path());
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(std::as_bytes(std::span(bytes)));
  file.commit();
}

}  // namespace retune
