#include "io/atomic_folder.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/error.h"
#include "io/temporary_path.h"

namespace retune {
namespace {

// fsync of a folder, so that the entries written in it (or renamed into it) are on disk.
void sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) fail("{}: cannot open the folder: {}", folder.string(), std::strerror(errno));
  const int result = ::fsync(fd);
  ::close(fd);
  if (result != 0) fail("{}: cannot sync: {}", folder.string(), std::strerror(errno));
}

}  // namespace

AtomicFolder::AtomicFolder(std::filesystem::path path)
    : path_(std::move(path)), temp_path_(temporary_beside(path_)) {
  remove_stale_temporaries(path_);
  std::error_code error;
  std::filesystem::create_directories(temp_path_, error);
  if (error) fail("{}: cannot create the folder: {}", temp_path_.string(), error.message());
}

AtomicFolder::~AtomicFolder() {
  if (committed_) return;
  std::error_code ignored;
  std::filesystem::remove_all(temp_path_, ignored);
}

void AtomicFolder::commit() {
  RETUNE_CHECK(!committed_, "{}: already committed", path_.string());
  sync_folder(temp_path_);
  // An existing folder is swapped with the new one in one step (RENAME_EXCHANGE), so `path`
  // never stops existing; the old one then sits at the temporary path and is removed.
  const bool replacing = std::filesystem::exists(path_);
  const int result = replacing ? ::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, path_.c_str(),
                                             RENAME_EXCHANGE)
                               : ::rename(temp_path_.c_str(), path_.c_str());
  if (result != 0) {
    fail("{}: cannot move the new folder into place: {}", path_.string(), std::strerror(errno));
  }
  committed_ = true;
  sync_folder(path_.parent_path().empty() ? "." : path_.parent_path());
  std::error_code ignored;
  if (replacing) std::filesystem::remove_all(temp_path_, ignored);
}

}  // namespace retune
