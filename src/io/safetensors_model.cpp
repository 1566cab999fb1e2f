#include "io/safetensors_model.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/file_contents.h"
#include "io/path_names.h"

namespace retune {

namespace {

using Json = nlohmann::json;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

bool is_pytorch_file(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  return (name.starts_with("pytorch_model") && name.ends_with(".bin")) || name.ends_with(".pt");
}

// A folder without safetensors weights: say why, naming a PyTorch file if one is there.
[[noreturn]] void fail_no_weights(const std::filesystem::path& folder) {
  std::vector<std::string> pytorch;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (is_pytorch_file(entry.path())) pytorch.push_back(entry.path().string());
  }
  if (!pytorch.empty()) {
    std::sort(pytorch.begin(), pytorch.end());
    fail(
        "{}: a PyTorch pickle file; retune never unpickles PyTorch files (they can run code): "
        "convert the model to safetensors (for example with transformers' "
        "save_pretrained(..., safe_serialization=True))",
        pytorch.front());
  }
  fail("{}: no {} or {} in the folder", folder.string(), kSingleFile, kIndexFile);
}

}  // namespace

SafetensorsModel SafetensorsModel::open(const std::filesystem::path& folder) {
  RETUNE_CHECK(std::filesystem::is_directory(folder), "{}: not a folder", folder.string());
  SafetensorsModel model;
  model.folder_ = folder;
  const std::filesystem::path index_path = folder / kIndexFile;
  if (!std::filesystem::exists(index_path)) {
    if (!std::filesystem::exists(folder / kSingleFile)) fail_no_weights(folder);
    model.shards_.push_back(SafetensorsFile::open(folder / kSingleFile));
    model.metadata_ = model.shards_[0].metadata();
    for (const std::string& name : model.shards_[0].names()) model.shard_of_.emplace(name, 0);
  } else {
    const std::string where = index_path.string();
    const Json index = read_json_file(index_path);
    RETUNE_CHECK(index.is_object(), "{}: not a JSON object", where);
    if (index.contains("metadata")) {
      RETUNE_CHECK(index["metadata"].is_object(), "{}: \"metadata\" is not a JSON object", where);
      for (const auto& [key, value] : index["metadata"].items()) {
        model.metadata_.emplace(key, value.is_string() ? value.get<std::string>() : value.dump());
      }
    }
    RETUNE_CHECK(index.contains("weight_map") && index["weight_map"].is_object(),
                 "{}: no \"weight_map\" object", where);
    std::map<std::string, size_t> shard_index;  // shard file name -> index into shards_
    for (const auto& [name, shard_json] : index["weight_map"].items()) {
      RETUNE_CHECK(shard_json.is_string(), "{}: weight_map entry '{}' is not a string: {}", where,
                   name, shard_json.dump());
      const auto& shard = shard_json.get_ref<const std::string&>();
      RETUNE_CHECK(is_plain_file_name(shard),
                   "{}: weight_map entry '{}' names shard '{}', which is not a plain file name "
                   "inside the folder",
                   where, name, shard);
      auto [found, added] = shard_index.emplace(shard, model.shards_.size());
      if (added) {
        RETUNE_CHECK(std::filesystem::exists(folder / shard),
                     "{}: weight_map entry '{}' names shard '{}', which does not exist", where,
                     name, shard);
        model.shards_.push_back(SafetensorsFile::open(folder / shard));
      }
      RETUNE_CHECK(model.shards_[found->second].has(name),
                   "{}: weight_map puts tensor '{}' in '{}', which has no such tensor", where, name,
                   shard);
      model.shard_of_.emplace(name, found->second);
    }
  }
  model.names_.reserve(model.shard_of_.size());
  for (const auto& entry : model.shard_of_) model.names_.push_back(entry.first);
  return model;
}

const SafetensorsFile& SafetensorsModel::shard_of(const std::string& name) const {
  const auto found = shard_of_.find(name);
  if (found == shard_of_.end()) fail("{}: no tensor named '{}'", folder_.string(), name);
  return shards_[found->second];
}

const SafetensorsTensorInfo& SafetensorsModel::info(const std::string& name) const {
  return shard_of(name).info(name);
}

Tensor SafetensorsModel::tensor(const std::string& name) const {
  return shard_of(name).tensor(name);
}

}  // namespace retune
