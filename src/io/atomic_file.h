// AtomicFile: writes a file so that a reader never sees it half-written.
//
// The bytes go to `<path>.tmp-<pid>` in the same folder; commit() fsyncs it, renames it over
// `path` and fsyncs the folder. Destroying an uncommitted AtomicFile (an error on the way, an
// exception unwinding) removes the temporary file and leaves `path` as it was; one that a killed
// process left is removed when the next AtomicFile of `path` starts (io/temporary_path.h).
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

namespace retune {

class AtomicFile {
 public:
  // Creates the temporary file; throws an Error naming it and the system's reason.
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends the bytes (all of them, retrying short writes).
  void write(std::span<const std::byte> bytes);
  // Flushes to disk and renames into place. Nothing may be written afterwards.
  void commit();

  const std::filesystem::path& temp_path() const { return temp_path_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

// Writes `bytes` to `path` through an AtomicFile (a JSON document, a text file).
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace retune
