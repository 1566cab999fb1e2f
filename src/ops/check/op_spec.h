// OpSpec: how one op is checked, by one harness shared by every op and every backend.
//
// A spec names the op's inputs (shape, kind, random range), a double-precision plain-loop
// reference (forward, and backward where the op has one) and the op under test as it runs on
// tensors of any device. run_op_spec (op_check.h) then checks, for a given device:
//   forward   - every output of the op against the reference          (forward_tolerance)
//   backward  - every gradient of the op against the reference        (backward_tolerance)
//   finite    - every reference gradient against central finite differences of the reference
//               forward in double precision, for the loss L = sum_k <dout_k, out_k> over the
//               loss_outputs with random upstream gradients dout_k (finite_difference_tolerance)
// An error passes when |got - want| <= atol + rtol * |want|; NaN never passes.
// Outputs that are not in loss_outputs are saved state (e.g. a norm's rstd) that the backward
// reads; they are compared in the forward check all the same.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/shape.h"
#include "core/tensor.h"

namespace retune::ops {

struct HostArray {
  Shape shape;
  std::vector<double> values;  // row-major
};
using HostArrays = std::map<std::string, HostArray>;
using Tensors = std::map<std::string, Tensor>;

// A zero-filled host array of the shape.
inline HostArray host_zeros(const Shape& shape) {
  return {shape, std::vector<double>(static_cast<size_t>(shape.numel()), 0.0)};
}

// The values of `array` as the op reads them when it is stored in `dtype` (rounded from f32 to a
// 16-bit dtype; f32 ones stay exact, so that finite differences see their small steps).
inline std::vector<double> stored_values(const HostArray& array, DType dtype) {
  if (dtype == DType::f32) return array.values;
  const std::vector<float> f32(array.values.begin(), array.values.end());
  const std::vector<float> stored =
      Tensor::from_vector<float>(array.shape, DType::f32, f32).to(dtype).to_f32_vector();
  return {stored.begin(), stored.end()};
}

// The values of an integer input (labels, ids) as i32.
inline std::vector<int32_t> host_int32s(const HostArray& array) {
  return {array.values.begin(), array.values.end()};
}

enum class ArgKind {
  real,     // an f32 tensor on the device; drawn uniformly in [lo, hi)
  integer,  // an i32 tensor on the device; drawn uniformly in [lo, hi]
};

struct ArgSpec {
  std::string name;
  Shape shape;
  ArgKind kind = ArgKind::real;
  double lo = -1.0;
  double hi = 1.0;
  bool differentiable = true;  // real inputs only: has a gradient "d<name>"
  std::vector<double> fixed;   // when not empty: these values instead of random ones
};

struct Tolerance {
  double atol;
  double rtol;
};

struct OpSpec {
  std::string op;       // "rmsnorm": the op this spec belongs to
  std::string variant;  // "N=3 C=7": what this case covers
  std::vector<ArgSpec> inputs;
  std::vector<std::string> loss_outputs;

  std::function<HostArrays(const HostArrays& inputs)> reference_forward;
  // Returns "d<name>" for each differentiable input. Empty for ops without a backward.
  std::function<HostArrays(const HostArrays& inputs, const HostArrays& outputs,
                           const HostArrays& douts)>
      reference_backward;

  std::function<Tensors(const Tensors& inputs)> forward;
  std::function<Tensors(const Tensors& inputs, const Tensors& outputs, const Tensors& douts)>
      backward;

  Tolerance forward_tolerance{1e-5, 1e-5};
  Tolerance backward_tolerance{1e-5, 1e-5};
  Tolerance finite_difference_tolerance{1e-6, 1e-6};
  // On a GPU, for ops whose products take bf16 inputs (f32 accumulation): these replace
  // forward_tolerance and backward_tolerance there. Unset: the GPU meets the CPU's tolerances.
  std::optional<Tolerance> bf16_forward_tolerance;
  std::optional<Tolerance> bf16_backward_tolerance;
  bool check_finite_differences = true;  // off for the large shapes, where it would be slow
  double finite_difference_step = 1e-6;

  std::string name() const { return op + " " + variant; }
};

}  // namespace retune::ops
