#include "io/model_folder_writer.h"

#include <span>
#include <string>
#include <system_error>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/atomic_folder.h"
#include "io/file_contents.h"
#include "io/safetensors_model.h"

namespace retune {
namespace {

bool is_weight_file(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  return name.ends_with(".safetensors") || name == "model.safetensors.index.json" ||
         name.ends_with(".bin") || name.ends_with(".pt") || name.ends_with(".bin.index.json");
}

// Writes `base`'s config.json with `changes` merged into `out`.
void write_changed_config(const std::filesystem::path& base, const nlohmann::json& changes,
                          const std::filesystem::path& out) {
  nlohmann::json config = read_json_file(base);  // keys sorted, as save_pretrained writes them
  config.merge_patch(changes);
  const std::string text = config.dump(2) + "\n";
  AtomicFile file(out);
  file.write(std::as_bytes(std::span(text)));
  file.commit();
}

}  // namespace

NamedTensors in_base_dtypes(const std::filesystem::path& base_folder, NamedTensors weights) {
  const SafetensorsModel base = SafetensorsModel::open(base_folder);
  for (auto& [name, weight] : weights) {
    if (base.has(name) && base.info(name).dtype != weight.dtype()) {
      weight = weight.to(base.info(name).dtype);
    }
  }
  return weights;
}

void write_model_folder(const std::filesystem::path& base_folder, const NamedTensors& weights,
                        const std::filesystem::path& out_folder,
                        const nlohmann::json& config_changes, uint64_t max_shard_bytes,
                        const std::function<void(const std::filesystem::path&)>& add_files) {
  RETUNE_CHECK(std::filesystem::is_directory(base_folder), "{}: not a folder",
               base_folder.string());
  AtomicFolder folder(out_folder);
  for (const auto& entry : std::filesystem::directory_iterator(base_folder)) {
    if (!entry.is_regular_file() || is_weight_file(entry.path())) continue;
    const std::string name = entry.path().filename().string();
    if (name == "config.json" && !config_changes.empty()) {
      write_changed_config(entry.path(), config_changes, folder / name);
      continue;
    }
    std::error_code error;
    std::filesystem::copy_file(entry.path(), folder / entry.path().filename().string(), error);
    if (error) fail("{}: cannot copy: {}", entry.path().string(), error.message());
  }
  write_sharded_safetensors(folder.temp_path(), weights, {{"format", "pt"}}, max_shard_bytes);
  if (add_files) add_files(folder.temp_path());
  folder.commit();
}

}  // namespace retune
