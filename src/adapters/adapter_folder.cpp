#include "adapters/adapter_folder.h"

#include <span>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/atomic_folder.h"
#include "io/safetensors_file.h"

namespace retune::adapters {

namespace fs = std::filesystem;

void write_adapter_folder(const fs::path& folder, const NamedTensors& tensors,
                          const nlohmann::json& config,
                          const std::map<std::string, nlohmann::json>& side_files) {
  if (fs::is_directory(folder)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
      const std::string name = entry.path().filename().string();
      if (name != kAdapterConfigFile && name != kAdapterWeightsFile && name != kPolyTasksFile) {
        fail(
            "{}: holds {}, which saving an adapter there would delete; choose an adapter "
            "folder or a new one",
            folder.string(), name);
      }
    }
  }
  AtomicFolder out(folder);
  write_safetensors(out / kAdapterWeightsFile, tensors, {{"format", "pt"}});
  const auto write_json = [&](const std::string& name, const nlohmann::json& value) {
    const std::string text = value.dump(2, ' ', true);
    AtomicFile file(out / name);
    file.write(std::as_bytes(std::span(text)));
    file.commit();
  };
  write_json(kAdapterConfigFile, config);
  for (const auto& [name, value] : side_files) write_json(name, value);
  out.commit();
}

fs::path adapter_weights_file(const fs::path& folder) {
  const fs::path weights = folder / kAdapterWeightsFile;
  if (!fs::exists(weights) && fs::exists(folder / "adapter_model.bin")) {
    fail(
        "{}: a PyTorch pickle file; retune reads adapters as safetensors (save them with "
        "safe_serialization=True)",
        (folder / "adapter_model.bin").string());
  }
  return weights;
}

void read_adapter_tensors(const fs::path& file, const std::map<std::string, Tensor>& expected,
                          const std::function<std::string(const std::string&)>& unexpected) {
  const SafetensorsFile tensors = SafetensorsFile::open(file);
  for (const std::string& key : tensors.names()) {
    const auto it = expected.find(key);
    if (it == expected.end()) fail("{}: {}", file.string(), unexpected(key));
    const Tensor value = tensors.tensor(key);
    RETUNE_CHECK(dtype_is_float(value.dtype()), "{}: tensor \"{}\" has dtype {}, expected a float",
                 file.string(), key, dtype_name(value.dtype()));
    RETUNE_CHECK(value.shape() == it->second.shape(), "{}: tensor \"{}\" has shape {}, expected {}",
                 file.string(), key, value.shape().str(), it->second.shape().str());
    it->second.copy_from(value.to(DType::f32));
  }
  for (const auto& [key, value] : expected) {
    RETUNE_CHECK(tensors.has(key), "{}: missing tensor \"{}\" (expected {})", file.string(), key,
                 value.shape().str());
  }
}

}  // namespace retune::adapters
