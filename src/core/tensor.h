// Tensor: a typed, shaped view of a Storage.
//
// Row-major with element strides (a view may be non-contiguous: transpose, slice), up to 4-D,
// dtypes f32/bf16/f16/i32/i64, on a device (the CPU or a CUDA GPU). Copying a Tensor copies the
// view, not the bytes: views share the Storage through a shared_ptr, which owns the memory (or
// keeps the arena buffer / file mapping alive). Host pointers are only handed out for CPU
// tensors; ops hand device pointers to their device's kernels (device_data); everything else
// goes through device-aware calls (to, copy_from, contiguous). On a CUDA device, copy_from,
// clone and contiguous need views whose elements are evenly spaced runs (core/pitched_layout.h:
// contiguous ones, slices of one dim), and dtype conversion goes through the host.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace retune {

// The dtypes a C++ element type may read: float <-> f32, int32_t <-> i32, int64_t <-> i64,
// uint16_t <-> bf16 or f16 (raw bits).
template <typename T>
bool dtype_matches(DType dtype);

class Tensor {
 public:
  Tensor() = default;  // undefined: no storage

  // New owned storage, uninitialised / zero-filled.
  static Tensor empty(const Shape& shape, DType dtype, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype, Device device = Device::cpu());
  // A contiguous CPU tensor holding a copy of `values` (size must equal shape.numel()).
  template <typename T>
  static Tensor from_vector(const Shape& shape, DType dtype, std::span<const T> values);
  // A contiguous view of existing storage starting `offset_bytes` in; checks it fits.
  static Tensor on_storage(std::shared_ptr<Storage> storage, size_t offset_bytes,
                           const Shape& shape, DType dtype);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t size(int dim) const { return shape_[dim]; }  // throws unless 0 <= dim < rank()
  int64_t stride(int dim) const {
    shape_.check_dim(dim);
    return strides_[static_cast<size_t>(dim)];
  }
  int64_t numel() const { return shape_.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device() : Device::cpu(); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool is_contiguous() const;
  bool writable() const { return storage_ && storage_->writable(); }
  // True when both views share storage and the element ranges they span intersect (a
  // conservative test: interleaved views that touch no common element count as overlapping).
  bool overlaps(const Tensor& other) const;
  // "f32[4, 256, 576] on cpu"
  std::string describe() const;

  // Host pointers to the first element (CPU only; checks dtype; mutable_data checks writable).
  template <typename T>
  const T* data() const;
  template <typename T>
  T* mutable_data() const;
  // The first element's address on the tensor's own device (a device pointer for CUDA), for the
  // ops that launch that device's kernels; checks dtype (and writable for the mutable one).
  template <typename T>
  const T* device_data() const;
  template <typename T>
  T* mutable_device_data() const;

  // Views (share storage).
  Tensor reshape(const Shape& shape) const;  // contiguous tensors only; sizes must agree
  Tensor slice(int dim, int64_t start, int64_t end) const;
  Tensor select(int dim, int64_t index) const;  // drops `dim`
  Tensor transpose(int dim0, int dim1) const;

  // Copies.
  Tensor clone() const;            // contiguous copy, same dtype and device
  Tensor contiguous() const;       // *this if already contiguous, else clone()
  Tensor to(DType dtype) const;    // float <-> float or int <-> int conversion
  Tensor to(Device device) const;  // same bytes on another device
  // Writes through the view (like an op's output), hence const.
  void copy_from(const Tensor& source) const;  // same shape and dtype, any strides
  void fill(double value) const;               // every element (float or int dtypes)

  // The elements as f32, in row-major order (any float dtype; a copy).
  std::vector<float> to_f32_vector() const;

 private:
  Tensor(std::shared_ptr<Storage> storage, int64_t offset, const Shape& shape, DType dtype);
  // Throws unless on the CPU and T can read dtype_; returns the first element's address.
  template <typename T>
  T* host_pointer() const;
  // Throws unless T can read dtype_; returns the first element's address on any device.
  template <typename T>
  T* element_pointer() const;
  // Throws, naming `what`, for an undefined tensor.
  void require_defined(const char* what) const;

  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;  // in elements of dtype_
  Shape shape_;
  std::array<int64_t, kMaxRank> strides_{};  // in elements
  DType dtype_ = DType::f32;
};

// t on `device`: t itself when it is there already (or undefined), else a copy there.
Tensor on_device(const Tensor& t, Device device);

}  // namespace retune
