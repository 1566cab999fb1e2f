#include "scratch_file.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace retune::fuzz {
namespace {

namespace fs = std::filesystem;

struct ScratchFolder {
  fs::path path = fs::temp_directory_path() / ("retune-fuzz-" + std::to_string(getpid()));
  ScratchFolder() { fs::create_directories(path); }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

const fs::path& scratch_folder() {
  static const ScratchFolder folder;
  return folder.path;
}

fs::path write_scratch_file(const std::string& name, const uint8_t* data, size_t size) {
  fs::path path = scratch_folder() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) std::abort();  // the harness's own failure, not a finding in retune
  return path;
}

}  // namespace retune::fuzz
