// Writing safetensors files the way the Python library and transformers do.
//
// write_safetensors lays a file out byte for byte like safetensors.torch.save_file: tensors
// sorted by dtype (widest first: I64, F32, I32, BF16, F16) then by name, header keys and data
// in that order, "__metadata__" first (omitted when empty), the header JSON padded with
// spaces to a multiple of 8 bytes. Every file is written atomically (see AtomicFile): on any
// error, including a tensor that cannot be read (undefined, not on the CPU), nothing is left
// at the path or beside it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace retune {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// Writes CPU tensors of any strides (non-contiguous ones are copied first). Names must be
// distinct and not "__metadata__".
void write_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Splits the tensors, in the given order, into shards of at most max_shard_bytes of data like
// transformers' save_pretrained (a tensor larger than the limit gets a shard of its own) and
// writes them into `folder` (created if missing) as model-00001-of-0000N.safetensors plus
// model.safetensors.index.json ({"metadata": {"total_size": bytes}, "weight_map": sorted},
// indented by 2 with sorted keys like json.dumps). One shard is written as model.safetensors
// with no index. `metadata` goes into every shard's header. Undefined tensors and tensors off
// the CPU are refused before anything is written; weight files of an earlier save in the
// folder (model.safetensors, model-*.safetensors, the index) are removed after the new ones
// are in place.
void write_sharded_safetensors(const std::filesystem::path& folder, const NamedTensors& tensors,
                               const std::map<std::string, std::string>& metadata,
                               uint64_t max_shard_bytes);

}  // namespace retune
