#include "ops/entries.h"

#include "ops/arg_checks.h"
#include "ops/cpu/entries.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/entries.h"
#endif

namespace retune::ops {

namespace {

// Checks the indices for `op`: i64 [k] on `device`; returns k.
int64_t check_indices(const char* op, const Tensor& indices, Device device) {
  RETUNE_CHECK(indices.defined() && indices.rank() == 1, "{}: indices is {}, expected i64 [k]", op,
               indices.defined() ? indices.describe() : "undefined");
  check_tensor(op, "indices", indices, DType::i64, indices.shape(), device);
  return indices.size(0);
}

}  // namespace

void gather_entries(const Tensor& source, const Tensor& indices, const Tensor& out) {
  const char* op = "gather_entries";
  const profile::Stage stage = op_stage(op, source);
  RETUNE_CHECK(source.defined(), "{}: source is undefined", op);
  const Device device = source.device();
  check_tensor(op, "source", source, DType::f32, source.shape(), device);
  const int64_t k = check_indices(op, indices, device);
  check_output(op, "out", out, DType::f32, {k}, device);
  check_disjoint(op, "out", out, "source", source);
  check_backend(op, device);
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    cuda::gather_entries(source.device_data<float>(), indices.device_data<int64_t>(), k,
                         out.mutable_device_data<float>());
    return;
  }
#endif
  cpu::gather_entries(source.data<float>(), indices.data<int64_t>(), k, out.mutable_data<float>());
}

void scatter_entries(const Tensor& target, const Tensor& indices, const Tensor& values) {
  const char* op = "scatter_entries";
  const profile::Stage stage = op_stage(op, target);
  RETUNE_CHECK(target.defined(), "{}: target is undefined", op);
  const Device device = target.device();
  check_output(op, "target", target, DType::f32, target.shape(), device);
  const int64_t k = check_indices(op, indices, device);
  check_tensor(op, "values", values, DType::f32, {k}, device);
  check_disjoint(op, "target", target, "values", values);
  check_backend(op, device);
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    cuda::scatter_entries(target.mutable_device_data<float>(), indices.device_data<int64_t>(), k,
                          values.device_data<float>());
    return;
  }
#endif
  cpu::scatter_entries(target.mutable_data<float>(), indices.data<int64_t>(), k,
                       values.data<float>());
}

}  // namespace retune::ops
