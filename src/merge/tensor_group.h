// TensorGroup: the inputs that merge into one output tensor, and the parameters resolved for
// it (mergekit's TensorGroup with its bound parameters).
//
// Inputs are f32, row-major, all of `shape`, in the order of the slice's sources (the base
// where it stands among them). The kernels (merge/tensor_merge.h) may overwrite them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/shape.h"
#include "merge/parameter_setting.h"

namespace retune::merge {

struct GroupParameters {
  std::map<std::string, Scalar> shared;
  // One map per input: the input-scoped and (for inputs other than the base) non-base-scoped
  // parameters. A parameter left unset (passthrough's scale) is absent.
  std::vector<std::map<std::string, Scalar>> per_input;

  double number(const std::string& name) const;
  bool flag(const std::string& name) const;
  const std::string& text(const std::string& name) const;
  double number(const std::string& name, size_t input) const;
  bool has(const std::string& name, size_t input) const;
};

struct TensorGroup {
  std::string name;  // the output tensor's name
  Shape shape;
  std::vector<std::vector<float>> inputs;  // [inputs][numel]
  std::vector<std::string> input_labels;   // each input's model, for errors
  std::optional<size_t> base;              // index into inputs
  GroupParameters parameters;
  uint64_t seed = 0;  // random methods: the seed of this tensor's masks

  int64_t numel() const { return shape.numel(); }
  // [rows, columns] of the tensor seen as a matrix: a 1-D tensor is one row; higher ranks keep
  // dimension 0 as the rows.
  int64_t rows() const { return shape.rank() <= 1 ? 1 : shape[0]; }
  int64_t columns() const { return rows() == 0 ? 0 : numel() / rows(); }
};

}  // namespace retune::merge
