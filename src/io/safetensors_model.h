// SafetensorsModel: the weights of a Hugging Face model folder, one file or sharded.
//
// The folder holds either `model.safetensors` or `model.safetensors.index.json`
// ({"metadata": {...}, "weight_map": {tensor: shard file}}) with its shards; each shard is
// opened (mmapped and validated) once. PyTorch pickle files (pytorch_model*.bin, *.pt) are
// never read: a folder with only those is refused with a hint to convert.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/safetensors_file.h"

namespace retune {

class SafetensorsModel {
 public:
  // Throws an Error naming the folder or file and what is wrong.
  static SafetensorsModel open(const std::filesystem::path& folder);

  // Every tensor name, sorted.
  const std::vector<std::string>& names() const { return names_; }
  bool has(const std::string& name) const { return shard_of_.contains(name); }
  // Throws, naming the folder and the tensor, when there is no such tensor.
  const SafetensorsTensorInfo& info(const std::string& name) const;
  // A zero-copy read-only view of the tensor in its shard.
  Tensor tensor(const std::string& name) const;
  // The index's "metadata" (values that are not strings as their JSON text, so total_size
  // reads "12345"), or the single file's "__metadata__".
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The opened files, one per shard.
  const std::vector<SafetensorsFile>& shards() const { return shards_; }

 private:
  SafetensorsModel() = default;
  const SafetensorsFile& shard_of(const std::string& name) const;

  std::filesystem::path folder_;
  std::vector<SafetensorsFile> shards_;
  std::map<std::string, size_t> shard_of_;  // tensor name -> index into shards_
  std::vector<std::string> names_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace retune
