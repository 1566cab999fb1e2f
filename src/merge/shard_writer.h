// ShardWriter: writes a model's tensors into safetensors shards as they are computed, in any
// order and from several threads, without holding them.
//
// Every tensor's name, dtype and shape is known before the first is computed, so the layout is
// fixed up front: tensors go into shards greedily in the given order, each shard at most
// max_shard_bytes of data (a larger tensor gets a shard of its own), as mergekit and
// transformers split them; inside a file they are laid out as safetensors.torch.save_file lays
// them out (wider dtypes first, then by name). The files are created with their headers at
// once and each tensor's bytes are written at its offset when it is ready. One shard is
// `model.safetensors`; more are `model-00001-of-0000N.safetensors` with
// `model.safetensors.index.json` ({"metadata": {"total_size"}, "weight_map"}).
//
// The folder should be a temporary one (io/atomic_folder.h): finish() fsyncs every file, and a
// writer destroyed before finish() leaves files that must be discarded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/shape.h"

namespace retune::merge {

struct ShardTensor {
  std::string name;
  DType dtype = DType::f32;
  Shape shape;
  uint64_t bytes() const { return static_cast<uint64_t>(shape.numel()) * dtype_size(dtype); }
};

class ShardWriter {
 public:
  ShardWriter(const std::filesystem::path& folder, const std::vector<ShardTensor>& tensors,
              uint64_t max_shard_bytes, const std::map<std::string, std::string>& metadata);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Writes tensor `index`'s bytes (row-major, its dtype; nbytes must be bytes()). Thread-safe
  // for distinct indices.
  void write(size_t index, const void* data, size_t nbytes);
  // Checks that every tensor was written, fsyncs and closes the files, writes the index.
  void finish();

  // The file names, in shard order.
  std::vector<std::string> files() const;

 private:
  struct Shard {
    std::string file;
    int fd = -1;
    uint64_t data_start = 0;
  };
  struct Placement {
    size_t shard = 0;
    uint64_t offset = 0;  // from the shard's data start
    uint64_t bytes = 0;
    bool written = false;
  };
  std::filesystem::path folder_;
  std::vector<ShardTensor> tensors_;
  std::vector<Shard> shards_;
  std::vector<Placement> placements_;
  std::mutex mutex_;
  bool finished_ = false;
};

// "5B", "500M", "2K", "5GB", "1000" -> bytes (K, M, B/G are powers of 1000 as mergekit's
// parse_kmb reads them; an optional trailing "B" after K/M/G). Throws for anything else.
uint64_t parse_shard_size(const std::string& text);

}  // namespace retune::merge
