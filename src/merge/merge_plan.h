// MergePlan: every output tensor of a merge, with the input tensors it reads and its resolved
// parameters, worked out from the config and the input models' headers before any weight is
// read (mergekit's MergePlanner).
//
// Layout: the tensors before the layers (embeddings) come from the first slice's sources, the
// layers of each slice in turn (output layers renumbered from 0), the tensors after the layers
// (final norm, head) from the last slice's sources. A layer tensor's relative position t is
// i / (n − 1) for layer i of a slice of n layers (1 for a slice of one layer); t is 0 for the
// tensors outside the layers. Shared parameters resolve against the output tensor's name,
// per-input ones against the input tensor's name (mergekit's resolve_parameters).
//
// Errors (one line each, naming the model and tensor): a model folder that is missing or not
// a model, models of different architectures, a tensor one model lacks or has in another shape,
// different vocabulary sizes, a layer_range past a model's depth, a base model that is not
// among a slice's sources, the wrong number of inputs for the method, a required parameter
// that no scope sets.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/shape.h"
#include "merge/input_model.h"
#include "merge/merge_config.h"
#include "merge/tensor_group.h"

namespace retune::merge {

struct PlannedInput {
  size_t model = 0;    // index into MergePlan::models
  std::string tensor;  // its name there
};

struct PlannedTensor {
  std::string name;  // in the output
  Shape shape;
  DType out_dtype = DType::f32;
  std::vector<PlannedInput> inputs;  // in the slice's source order
  std::optional<size_t> base;        // index into inputs
  GroupParameters parameters;
  uint64_t seed = 0;  // random methods: this tensor's mask seed
  uint64_t out_bytes() const {
    return static_cast<uint64_t>(shape.numel()) * dtype_size(out_dtype);
  }
};

struct MergePlan {
  const MethodSpec* method = nullptr;
  std::vector<std::unique_ptr<InputModel>> models;
  std::vector<PlannedTensor> tensors;  // in output order
  size_t donor = 0;                    // the model whose config and tokenizer files are copied
  int64_t num_layers = 0;              // of the output
  std::optional<DType> dtype;          // inputs are rounded through it (config dtype)
  std::vector<std::string> warnings;
};

// `seed` is used by the random methods unless the config sets the seed parameter.
MergePlan plan_merge(const MergeConfig& config, uint64_t seed);

}  // namespace retune::merge
