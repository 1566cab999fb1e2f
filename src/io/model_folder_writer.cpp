#include "io/model_folder_writer.h"

#include <string>
#include <system_error>

#include "core/error.h"
#include "io/atomic_folder.h"

namespace retune {
namespace {

bool is_weight_file(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  return name.ends_with(".safetensors") || name == "model.safetensors.index.json" ||
         name.ends_with(".bin") || name.ends_with(".pt") || name.ends_with(".bin.index.json");
}

}  // namespace

void write_model_folder(const std::filesystem::path& base_folder, const NamedTensors& weights,
                        const std::filesystem::path& out_folder, uint64_t max_shard_bytes) {
  RETUNE_CHECK(std::filesystem::is_directory(base_folder), "{}: not a folder",
               base_folder.string());
  AtomicFolder folder(out_folder);
  for (const auto& entry : std::filesystem::directory_iterator(base_folder)) {
    if (!entry.is_regular_file() || is_weight_file(entry.path())) continue;
    std::error_code error;
    std::filesystem::copy_file(entry.path(), folder / entry.path().filename().string(), error);
    if (error) fail("{}: cannot copy: {}", entry.path().string(), error.message());
  }
  write_sharded_safetensors(folder.temp_path(), weights, {{"format", "pt"}}, max_shard_bytes);
  folder.commit();
}

}  // namespace retune
