// WeightReader: takes a model's tensors from its safetensors weights by Hugging Face name,
// checked against the shapes the config implies (shared by the per-architecture loaders).
//
// Ownership: stored() returns a zero-copy view of the mmapped file in the file's dtype (what the
// matmul and embedding weights are); f32() returns that view for an f32 tensor and an owned f32
// copy of a bf16/f16 one (for the small vectors: norm weights, biases). The tensors keep the file
// mapping alive on their own, so they outlive the reader.
#pragma once

#include <filesystem>
#include <string>

#include "core/tensor.h"
#include "io/safetensors_model.h"

namespace retune::model {

class WeightReader {
 public:
  // Opens the safetensors weights in `folder` (one file or sharded).
  explicit WeightReader(const std::filesystem::path& folder);

  bool has(const std::string& name) const { return file_.has(name); }
  // The tensor as stored. A missing tensor, one of another shape or a non-float dtype throws
  // retune::Error naming the folder, the tensor and the expected shape.
  Tensor stored(const std::string& name, const Shape& shape) const;
  // stored() as f32: the mapped view itself for an f32 file, an owned converted copy else.
  Tensor f32(const std::string& name, const Shape& shape) const;

 private:
  std::filesystem::path folder_;
  SafetensorsModel file_;
};

}  // namespace retune::model
