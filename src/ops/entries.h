// Reading and writing chosen entries of a tensor, by flat (row-major) index: a sparse update's
// entries (train/sparse_update.h) on the trained tensors' device.
//
// gather_entries:  out[j] = source[indices[j]]
// scatter_entries: target[indices[j]] = values[j]
//
// source and target: f32, contiguous, any shape; indices: i64 [k], each in [0, numel) (checked
// on the host by the caller: an index out of range is undefined here); out and values: f32 [k].
// All on one device; out (caller-allocated) and target may not share memory with the values read.
// With repeated indices scatter_entries writes one of the values.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void gather_entries(const Tensor& source, const Tensor& indices, const Tensor& out);

void scatter_entries(const Tensor& target, const Tensor& indices, const Tensor& values);

}  // namespace retune::ops
