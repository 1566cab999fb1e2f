// AtomicFolder: writes a folder of files so that a reader never sees it half-written (a
// checkpoint, an adapter, a model).
//
// The files go into `<path>.tmp-<pid>` beside it; commit() fsyncs the folder and renames it to
// `path` (an existing folder of that name is swapped out in the same step and then removed, so
// `path` always holds the old or the new folder in full). Destroying an uncommitted
// AtomicFolder removes the temporary folder and leaves `path` as it was; a temporary folder that
// a killed process left beside `path` is removed when the next AtomicFolder of `path` starts
// (io/temporary_path.h).
#pragma once

#include <filesystem>
#include <string>

namespace retune {

class AtomicFolder {
 public:
  // Creates the temporary folder (and `path`'s parent); throws an Error naming it and the
  // system's reason.
  explicit AtomicFolder(std::filesystem::path path);
  ~AtomicFolder();
  AtomicFolder(const AtomicFolder&) = delete;
  AtomicFolder& operator=(const AtomicFolder&) = delete;

  // Where to write a file of the folder (write it with AtomicFile or a writer that uses it).
  std::filesystem::path operator/(const std::string& name) const { return temp_path_ / name; }
  const std::filesystem::path& temp_path() const { return temp_path_; }
  // Renames the folder into place. Nothing may be written afterwards.
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  bool committed_ = false;
};

}  // namespace retune
