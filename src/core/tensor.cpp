#include "core/tensor.h"

#include <cstring>

#if RETUNE_CUDA
#include <span>

#include "core/cuda/runtime.h"
#include "core/pitched_layout.h"
#endif

namespace retune {

template <typename T>
bool dtype_matches(DType dtype) {
  if constexpr (std::is_same_v<T, float>) return dtype == DType::f32;
  if constexpr (std::is_same_v<T, int32_t>) return dtype == DType::i32;
  if constexpr (std::is_same_v<T, int64_t>) return dtype == DType::i64;
  if constexpr (std::is_same_v<T, uint16_t>) return dtype == DType::bf16 || dtype == DType::f16;
  return false;
}

namespace {
std::array<int64_t, kMaxRank> row_major_strides(const Shape& shape) {
  std::array<int64_t, kMaxRank> strides{};
  int64_t stride = 1;
  for (int d = shape.rank() - 1; d >= 0; --d) {
    strides[static_cast<size_t>(d)] = stride;
    stride *= shape[d];
  }
  return strides;
}

// Calls fn(element_index_in_storage) for every element in row-major order.
template <typename Fn>
void for_each_offset(const Shape& shape, const std::array<int64_t, kMaxRank>& strides,
                     int64_t offset, Fn fn) {
  std::array<int64_t, kMaxRank> sizes{1, 1, 1, 1};
  std::array<int64_t, kMaxRank> steps{0, 0, 0, 0};
  const int pad = kMaxRank - shape.rank();
  for (int d = 0; d < shape.rank(); ++d) {
    sizes[static_cast<size_t>(d + pad)] = shape[d];
    steps[static_cast<size_t>(d + pad)] = strides[static_cast<size_t>(d)];
  }
  for (int64_t i0 = 0; i0 < sizes[0]; ++i0)
    for (int64_t i1 = 0; i1 < sizes[1]; ++i1)
      for (int64_t i2 = 0; i2 < sizes[2]; ++i2)
        for (int64_t i3 = 0; i3 < sizes[3]; ++i3)
          fn(offset + i0 * steps[0] + i1 * steps[1] + i2 * steps[2] + i3 * steps[3]);
}

double read_as_double(const std::byte* base, DType dtype, int64_t index) {
  switch (dtype) {
    case DType::f32:
      return reinterpret_cast<const float*>(base)[index];
    case DType::bf16:
      return bf16_to_f32(reinterpret_cast<const uint16_t*>(base)[index]);
    case DType::f16:
      return f16_to_f32(reinterpret_cast<const uint16_t*>(base)[index]);
    case DType::i32:
      return reinterpret_cast<const int32_t*>(base)[index];
    case DType::i64:
      return static_cast<double>(reinterpret_cast<const int64_t*>(base)[index]);
  }
  return 0;
}

void write_from_double(std::byte* base, DType dtype, int64_t index, double value) {
  switch (dtype) {
    case DType::f32:
      reinterpret_cast<float*>(base)[index] = static_cast<float>(value);
      break;
    case DType::bf16:
      reinterpret_cast<uint16_t*>(base)[index] = f32_to_bf16(static_cast<float>(value));
      break;
    case DType::f16:
      reinterpret_cast<uint16_t*>(base)[index] = f32_to_f16(static_cast<float>(value));
      break;
    case DType::i32:
      reinterpret_cast<int32_t*>(base)[index] = static_cast<int32_t>(value);
      break;
    case DType::i64:
      reinterpret_cast<int64_t*>(base)[index] = static_cast<int64_t>(value);
      break;
  }
}
}  // namespace

Tensor::Tensor(std::shared_ptr<Storage> storage, int64_t offset, const Shape& shape, DType dtype)
    : storage_(std::move(storage)),
      offset_(offset),
      shape_(shape),
      strides_(row_major_strides(shape)),
      dtype_(dtype) {}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  const size_t nbytes = static_cast<size_t>(shape.numel()) * dtype_size(dtype);
  return Tensor(Storage::allocate(nbytes, device), 0, shape, dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor tensor = empty(shape, dtype, device);
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    cuda::zero_bytes(tensor.storage_->data(), tensor.nbytes());
    return tensor;
  }
#endif
  std::memset(tensor.storage_->data(), 0, tensor.nbytes());
  return tensor;
}

template <typename T>
Tensor Tensor::from_vector(const Shape& shape, DType dtype, std::span<const T> values) {
  RETUNE_CHECK(dtype_matches<T>(dtype), "from_vector: element type cannot hold dtype {}",
               dtype_name(dtype));
  RETUNE_CHECK(static_cast<int64_t>(values.size()) == shape.numel(),
               "from_vector: {} values for shape {}", values.size(), shape.str());
  Tensor tensor = empty(shape, dtype);
  // An empty vector's data() may be null, which memcpy may not be given even for 0 bytes.
  if (!values.empty()) std::memcpy(tensor.storage_->data(), values.data(), tensor.nbytes());
  return tensor;
}

Tensor Tensor::on_storage(std::shared_ptr<Storage> storage, size_t offset_bytes, const Shape& shape,
                          DType dtype) {
  const size_t element = dtype_size(dtype);
  const size_t nbytes = static_cast<size_t>(shape.numel()) * element;
  RETUNE_CHECK(offset_bytes % element == 0, "tensor offset {} is not a multiple of {} ({})",
               offset_bytes, element, dtype_name(dtype));
  RETUNE_CHECK(offset_bytes <= storage->nbytes() && nbytes <= storage->nbytes() - offset_bytes,
               "tensor {}{} at byte {} does not fit in a storage of {} bytes", dtype_name(dtype),
               shape.str(), offset_bytes, storage->nbytes());
  return Tensor(std::move(storage), static_cast<int64_t>(offset_bytes / element), shape, dtype);
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int d = rank() - 1; d >= 0; --d) {
    if (shape_[d] != 1 && stride(d) != expected) return false;
    expected *= shape_[d];
  }
  return true;
}

std::string Tensor::describe() const {
  return fmt::format("{}{} on {}", dtype_name(dtype_), shape_.str(), device_name(device()));
}

void Tensor::require_defined(const char* what) const {
  RETUNE_CHECK(defined(), "{} of an undefined tensor", what);
}

template <typename T>
T* Tensor::element_pointer() const {
  require_defined("element access");
  RETUNE_CHECK(dtype_matches<std::remove_const_t<T>>(dtype_),
               "tensor {} read with the wrong element type", describe());
  return reinterpret_cast<T*>(storage_->data()) + offset_;
}

template <typename T>
T* Tensor::host_pointer() const {
  require_defined("host access");
  RETUNE_CHECK(device().is_cpu(), "host access to a tensor on {}", device_name(device()));
  return element_pointer<T>();
}

template <typename T>
const T* Tensor::device_data() const {
  return element_pointer<const T>();
}

template <typename T>
T* Tensor::mutable_device_data() const {
  RETUNE_CHECK(writable(), "tensor {} is read-only (a mapped file region)", describe());
  T* pointer = element_pointer<T>();
  storage_->mark_written();
  return pointer;
}

template <typename T>
const T* Tensor::data() const {
  return host_pointer<const T>();
}

template <typename T>
T* Tensor::mutable_data() const {
  RETUNE_CHECK(writable(), "tensor {} is read-only (a mapped file region)", describe());
  T* pointer = host_pointer<T>();
  storage_->mark_written();
  return pointer;
}

Tensor Tensor::reshape(const Shape& shape) const {
  require_defined("reshape");
  RETUNE_CHECK(is_contiguous(), "reshape of a non-contiguous tensor {}", describe());
  RETUNE_CHECK(shape.numel() == numel(), "cannot reshape {} to {}", describe(), shape.str());
  return Tensor(storage_, offset_, shape, dtype_);
}

Tensor Tensor::slice(int dim, int64_t start, int64_t end) const {
  RETUNE_CHECK(dim >= 0 && dim < rank(), "slice: dim {} of a rank-{} tensor", dim, rank());
  RETUNE_CHECK(0 <= start && start <= end && end <= size(dim),
               "slice [{}, {}) outside dim {} of size {}", start, end, dim, size(dim));
  Tensor view = *this;
  view.offset_ += start * stride(dim);
  view.shape_[dim] = end - start;
  return view;
}

Tensor Tensor::select(int dim, int64_t index) const {
  Tensor view = slice(dim, index, index + 1);
  Shape shape;
  for (int d = 0; d < rank(); ++d) {
    if (d == dim) continue;
    view.strides_[static_cast<size_t>(shape.rank())] = strides_[static_cast<size_t>(d)];
    shape.append(shape_[d]);
  }
  view.strides_[static_cast<size_t>(shape.rank())] = 0;
  view.shape_ = shape;
  return view;
}

Tensor Tensor::transpose(int dim0, int dim1) const {
  RETUNE_CHECK(dim0 >= 0 && dim0 < rank() && dim1 >= 0 && dim1 < rank(),
               "transpose({}, {}) of a rank-{} tensor", dim0, dim1, rank());
  Tensor view = *this;
  std::swap(view.shape_[dim0], view.shape_[dim1]);
  std::swap(view.strides_[static_cast<size_t>(dim0)], view.strides_[static_cast<size_t>(dim1)]);
  return view;
}

Tensor Tensor::clone() const {
  require_defined("clone");
  Tensor copy = empty(shape_, dtype_, device());
  copy.copy_from(*this);
  return copy;
}

Tensor Tensor::contiguous() const {
  require_defined("contiguous");
  return is_contiguous() ? *this : clone();
}

bool Tensor::overlaps(const Tensor& other) const {
  if (!defined() || !other.defined() || storage_ != other.storage_) return false;
  if (numel() == 0 || other.numel() == 0) return false;
  // The element ranges [first, last] each view can touch (strides are never negative).
  auto last = [](const Tensor& t) {
    int64_t at = t.offset_;
    for (int d = 0; d < t.rank(); ++d) at += (t.size(d) - 1) * t.stride(d);
    return at;
  };
  return offset_ <= last(other) && other.offset_ <= last(*this);
}

void Tensor::copy_from(const Tensor& source) const {
  require_defined("copy_from");
  source.require_defined("copy_from source");
  RETUNE_CHECK(source.shape_ == shape_ && source.dtype_ == dtype_,
               "copy_from: source {} does not match destination {}", source.describe(), describe());
  RETUNE_CHECK(writable(), "copy_from into read-only tensor {}", describe());
  storage_->mark_written();
  const size_t element = dtype_size(dtype_);
  if (!device().is_cpu() || !source.device().is_cpu()) {
#if RETUNE_CUDA
    // One pitched copy: each view a run of rows evenly spaced (a contiguous one is one row).
    const auto layouts = common_pitched_layout(shape_, std::span(strides_).first(rank()),
                                               std::span(source.strides_).first(rank()));
    RETUNE_CHECK(layouts && !overlaps(source),
                 "copy_from between {} and {}: copies that touch a GPU need views whose elements "
                 "are evenly spaced runs (contiguous, or slices of one dim), and that do not "
                 "overlap",
                 describe(), source.describe());
    const auto& [to, from] = *layouts;
    cuda::copy_pitched(storage_->data() + offset_ * element,
                       static_cast<size_t>(to.pitch) * element, device(),
                       source.storage_->data() + source.offset_ * element,
                       static_cast<size_t>(from.pitch) * element, source.device(),
                       static_cast<size_t>(to.run) * element, static_cast<size_t>(to.rows));
    return;
#else
    fail("copy_from between {} and {} needs a device backend", device_name(device()),
         device_name(source.device()));
#endif
  }
  if (overlaps(source)) {
    copy_from(source.clone());  // an in-place permutation: read everything before writing
    return;
  }
  if (is_contiguous() && source.is_contiguous()) {
    std::memcpy(storage_->data() + offset_ * element,
                source.storage_->data() + source.offset_ * element, nbytes());
    return;
  }
  std::vector<int64_t> source_offsets;
  source_offsets.reserve(static_cast<size_t>(numel()));
  for_each_offset(source.shape_, source.strides_, source.offset_,
                  [&](int64_t at) { source_offsets.push_back(at); });
  size_t next = 0;
  std::byte* destination = storage_->data();
  const std::byte* from = source.storage_->data();
  for_each_offset(shape_, strides_, offset_, [&](int64_t at) {
    std::memcpy(destination + at * element, from + source_offsets[next++] * element, element);
  });
}

Tensor Tensor::to(DType dtype) const {
  require_defined("to(dtype)");
  if (dtype == dtype_) return clone();
  RETUNE_CHECK(dtype_is_float(dtype) == dtype_is_float(dtype_),
               "conversion from {} to {} is not supported", dtype_name(dtype_), dtype_name(dtype));
  if (!device().is_cpu()) return to(Device::cpu()).to(dtype).to(device());
  const Tensor source = contiguous();
  Tensor result = empty(shape_, dtype);
  const auto n = static_cast<size_t>(numel());
  const std::byte* in = source.storage_->data() + source.offset_ * dtype_size(dtype_);
  std::byte* out = result.storage_->data();
  const auto* in16 = reinterpret_cast<const uint16_t*>(in);
  auto* out16 = reinterpret_cast<uint16_t*>(out);
  if (dtype_ == DType::bf16 && dtype == DType::f32) {
    convert_bf16_to_f32(in16, reinterpret_cast<float*>(out), n);
  } else if (dtype_ == DType::f16 && dtype == DType::f32) {
    convert_f16_to_f32(in16, reinterpret_cast<float*>(out), n);
  } else if (dtype_ == DType::f32 && dtype == DType::bf16) {
    convert_f32_to_bf16(reinterpret_cast<const float*>(in), out16, n);
  } else if (dtype_ == DType::f32 && dtype == DType::f16) {
    convert_f32_to_f16(reinterpret_cast<const float*>(in), out16, n);
  } else {
    for (size_t i = 0; i < n; ++i) {
      write_from_double(out, dtype, static_cast<int64_t>(i),
                        read_as_double(in, dtype_, static_cast<int64_t>(i)));
    }
  }
  return result;
}

Tensor Tensor::to(Device device) const {
  require_defined("to(device)");
  RETUNE_CHECK(device_supported(device) && device_supported(this->device()),
               "no backend for {} -> {} copies", device_name(this->device()), device_name(device));
  if (device == this->device()) return clone();
  const Tensor source = this->device().is_cpu() ? contiguous() : *this;
  Tensor copy = empty(shape_, dtype_, device);
  copy.copy_from(source);
  return copy;
}

void Tensor::fill(double value) const {
  require_defined("fill");
  RETUNE_CHECK(writable(), "fill of read-only tensor {}", describe());
  storage_->mark_written();
#if RETUNE_CUDA
  if (!device().is_cpu() && value == 0.0 && is_contiguous()) {
    cuda::zero_bytes(storage_->data() + offset_ * dtype_size(dtype_), nbytes());
    return;
  }
#endif
  if (!device().is_cpu()) {
    const Tensor filled = Tensor::empty(shape_, dtype_);
    filled.fill(value);
    copy_from(filled);
    return;
  }
  std::byte* base = storage_->data();
  for_each_offset(shape_, strides_, offset_,
                  [&](int64_t at) { write_from_double(base, dtype_, at, value); });
}

Tensor on_device(const Tensor& t, Device device) {
  return t.defined() && t.device() != device ? t.to(device) : t;
}

std::vector<float> Tensor::to_f32_vector() const {
  require_defined("to_f32_vector");
  if (!device().is_cpu()) return to(Device::cpu()).to_f32_vector();
  std::vector<float> values;
  values.reserve(static_cast<size_t>(numel()));
  const std::byte* base = storage_->data();
  for_each_offset(shape_, strides_, offset_, [&](int64_t at) {
    values.push_back(static_cast<float>(read_as_double(base, dtype_, at)));
  });
  return values;
}

#define RETUNE_INSTANTIATE(T)                                                      \
  template bool dtype_matches<T>(DType);                                           \
  template Tensor Tensor::from_vector<T>(const Shape&, DType, std::span<const T>); \
  template const T* Tensor::data<T>() const;                                       \
  template T* Tensor::mutable_data<T>() const;                                     \
  template const T* Tensor::device_data<T>() const;                                \
  template T* Tensor::mutable_device_data<T>() const;
RETUNE_INSTANTIATE(float)
RETUNE_INSTANTIATE(int32_t)
RETUNE_INSTANTIATE(int64_t)
RETUNE_INSTANTIATE(uint16_t)
#undef RETUNE_INSTANTIATE

}  // namespace retune
