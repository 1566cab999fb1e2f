#include "io/safetensors_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <span>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/safetensors_dtype.h"

namespace retune {

namespace {

using Json = nlohmann::json;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

void check_names(const std::filesystem::path& where, const NamedTensors& tensors) {
  std::set<std::string_view> seen;
  for (const auto& [name, tensor] : tensors) {
    RETUNE_CHECK(name != "__metadata__", "{}: '__metadata__' cannot name a tensor", where.string());
    RETUNE_CHECK(seen.insert(name).second, "{}: tensor '{}' given twice", where.string(), name);
  }
}

// A JSON string literal the way serde_json writes one (UTF-8 kept, control bytes escaped).
std::string json_string(const std::filesystem::path& where, const std::string& text) {
  try {
    return Json(text).dump();
  } catch (const Json::exception&) {
    fail("{}: '{}' is not valid UTF-8", where.string(), text);
  }
}

// The first byte of a contiguous tensor, through the checked typed accessors (they refuse
// undefined tensors and tensors off the CPU).
const std::byte* host_bytes(const Tensor& tensor) {
  switch (tensor.dtype()) {
    case DType::f32:
      return reinterpret_cast<const std::byte*>(tensor.data<float>());
    case DType::bf16:
    case DType::f16:
      return reinterpret_cast<const std::byte*>(tensor.data<uint16_t>());
    case DType::i32:
      return reinterpret_cast<const std::byte*>(tensor.data<int32_t>());
    case DType::i64:
      return reinterpret_cast<const std::byte*>(tensor.data<int64_t>());
  }
  fail("unknown dtype {}", static_cast<int>(tensor.dtype()));
}

}  // namespace

void write_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  check_names(path, tensors);
  std::vector<const std::pair<std::string, Tensor>*> order;
  for (const auto& entry : tensors) order.push_back(&entry);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    const int rank_a = safetensors_dtype_rank(a->second.dtype());
    const int rank_b = safetensors_dtype_rank(b->second.dtype());
    return rank_a != rank_b ? rank_a > rank_b : a->first < b->first;
  });

  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (const auto& [key, value] : metadata) {
      if (header.back() != '{') header += ',';
      header += json_string(path, key) + ':' + json_string(path, value);
    }
    header += '}';
  }
  uint64_t offset = 0;
  for (const auto* entry : order) {
    const Tensor& tensor = entry->second;
    std::string shape;
    for (int d = 0; d < tensor.rank(); ++d) {
      shape += fmt::format("{}{}", d ? "," : "", tensor.size(d));
    }
    if (header.size() > 1) header += ',';
    header += fmt::format("{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
                          json_string(path, entry->first), safetensors_dtype_name(tensor.dtype()),
                          shape, offset, offset + tensor.nbytes());
    offset += tensor.nbytes();
  }
  header += '}';
  header.append((8 - header.size() % 8) % 8, ' ');

  AtomicFile file(path);
  std::byte length[8];
  for (size_t i = 0; i < 8; ++i) length[i] = static_cast<std::byte>(header.size() >> (8 * i));
  file.write(length);
  file.write(std::as_bytes(std::span(header)));
  for (const auto* entry : order) {
    try {
      // A GPU's tensor is copied to the host first.
      const Tensor source = entry->second.device().is_cpu() ? entry->second.contiguous()
                                                            : entry->second.to(Device::cpu());
      file.write({host_bytes(source), source.nbytes()});
    } catch (const Error& error) {
      fail("{}: tensor '{}': {}", path.string(), entry->first, error.what());
    }
  }
  file.commit();
}

void write_sharded_safetensors(const std::filesystem::path& folder, const NamedTensors& tensors,
                               const std::map<std::string, std::string>& metadata,
                               uint64_t max_shard_bytes) {
  check_names(folder, tensors);
  // Refused before any file is written: a save that stops between shards would leave a folder
  // mixing new shards with an old index.
  for (const auto& [name, tensor] : tensors) {
    RETUNE_CHECK(tensor.defined(), "{}: tensor '{}' is undefined", folder.string(), name);
    RETUNE_CHECK(tensor.device().is_cpu(), "{}: tensor '{}' is on {}, not on the cpu",
                 folder.string(), name, device_name(tensor.device()));
  }
  // Greedy in the given order, as huggingface_hub's split_torch_state_dict_into_shards.
  std::vector<NamedTensors> shards;
  NamedTensors current;
  uint64_t current_bytes = 0;
  uint64_t total_bytes = 0;
  for (const auto& entry : tensors) {
    const uint64_t bytes = entry.second.nbytes();
    total_bytes += bytes;
    if (bytes > max_shard_bytes) {
      shards.push_back({entry});
      continue;
    }
    if (current_bytes + bytes > max_shard_bytes) {
      shards.push_back(std::move(current));
      current.clear();
      current_bytes = 0;
    }
    current.push_back(entry);
    current_bytes += bytes;
  }
  if (!current.empty() || shards.empty()) shards.push_back(std::move(current));

  std::filesystem::create_directories(folder);
  std::set<std::string> written;
  if (shards.size() == 1) {
    write_safetensors(folder / kSingleFile, shards[0], metadata);
    written.insert(kSingleFile);
  } else {
    Json weight_map = Json::object();
    for (size_t i = 0; i < shards.size(); ++i) {
      const std::string name =
          fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shards.size());
      write_safetensors(folder / name, shards[i], metadata);
      written.insert(name);
      for (const auto& entry : shards[i]) weight_map[entry.first] = name;
    }
    const Json index = {{"metadata", {{"total_size", total_bytes}}}, {"weight_map", weight_map}};
    const std::string text = index.dump(2, ' ', true) + "\n";
    AtomicFile file(folder / kIndexFile);
    file.write(std::as_bytes(std::span(text)));
    file.commit();
    written.insert(kIndexFile);
  }
  // Weights left by an earlier save would contradict the new ones: remove them.
  std::vector<std::filesystem::path> stale;
  for (const auto& item : std::filesystem::directory_iterator(folder)) {
    const std::string name = item.path().filename().string();
    const bool ours = name == kSingleFile || name == kIndexFile ||
                      (name.starts_with("model-") && name.ends_with(".safetensors"));
    if (ours && !written.contains(name)) stale.push_back(item.path());
  }
  for (const auto& path : stale) std::filesystem::remove(path);
}

}  // namespace retune
