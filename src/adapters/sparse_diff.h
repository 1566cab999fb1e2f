// A sparse difference φ = θ - θ0 (LT-SFT's output, composable by addition: θ = θ0 + φ1 + φ2),
// saved as a folder:
//
//   sparse_config.json       {"format": "retune-sparse-diff", "version": 1, "method": "lt_sft",
//                             "base_model_name_or_path": ..., "entries": K,
//                             "weights": {"<weight name>": [shape...], ...}}
//   sparse_diff.safetensors  "<weight name>.indices" i64 [k]: ascending flat (row-major) indices
//                            "<weight name>.values"  f32 [k]: θ - θ0 at them
//
// docs/formats.md describes it for other tools.
#pragma once

#include <filesystem>
#include <string>

#include "io/safetensors_writer.h"
#include "model/causal_lm.h"

namespace retune::adapters {

struct SparseEntries {
  std::string weight;  // "model.layers.0.mlp.up_proj.weight"
  Tensor indices;      // i64 [k]
  Tensor values;       // f32 [k]
  Shape shape;         // the weight's
};

// Writes `folder` atomically (an existing sparse-diff folder is replaced whole).
void save_sparse_diff(const std::vector<SparseEntries>& diff, const std::string& method,
                      const std::string& base_model_name_or_path,
                      const std::filesystem::path& folder);

// Whether `folder` holds a sparse difference (its sparse_config.json).
bool is_sparse_diff(const std::filesystem::path& folder);

// Adds the folder's φ to the model's weights (θ += φ; each weight becomes an owned f32 copy).
// Checks everything first: a weight the model lacks or of another shape, an index out of range,
// indices and values of different lengths, a missing tensor — an Error naming the file and
// tensor, the model unchanged. Returns the entries added.
int64_t apply_sparse_diff(model::CausalLm& model, const std::filesystem::path& folder);

}  // namespace retune::adapters
