#include "ops/arg_checks.h"

#include <cmath>

namespace retune::ops {

void check_matrix(const char* op, const char* arg, const Tensor& t, const char* dims) {
  RETUNE_CHECK(t.defined(), "{}: {} is undefined, expected a contiguous f32{}", op, arg, dims);
  RETUNE_CHECK(t.dtype() == DType::f32 && t.rank() == 2 && t.is_contiguous(),
               "{}: {} is {}, expected a contiguous f32{}", op, arg, t.describe(), dims);
}

void check_norm_input(const char* op, const Tensor& x, float eps) {
  check_matrix(op, "x", x, "[N, C]");
  RETUNE_CHECK(x.size(1) >= 1, "{}: x is {}, expected at least one column", op, x.describe());
  RETUNE_CHECK(std::isfinite(eps) && eps >= 0, "{}: eps is {}, expected a finite value >= 0", op,
               eps);
}

void check_tensor(const char* op, const char* arg, const Tensor& t, DType dtype, const Shape& shape,
                  Device device) {
  RETUNE_CHECK(t.defined(), "{}: {} is undefined, expected a contiguous {}{} on {}", op, arg,
               dtype_name(dtype), shape.str(), device_name(device));
  RETUNE_CHECK(
      t.dtype() == dtype && t.shape() == shape && t.device() == device && t.is_contiguous(),
      "{}: {} is {}{}, expected a contiguous {}{} on {}", op, arg, t.describe(),
      t.is_contiguous() ? "" : " (non-contiguous)", dtype_name(dtype), shape.str(),
      device_name(device));
}

void check_output(const char* op, const char* arg, const Tensor& t, DType dtype, const Shape& shape,
                  Device device) {
  check_tensor(op, arg, t, dtype, shape, device);
  RETUNE_CHECK(t.writable(), "{}: {} {} is read-only", op, arg, t.describe());
}

DType f32_or_bf16(const Tensor& t) {
  return t.defined() && t.dtype() == DType::bf16 ? DType::bf16 : DType::f32;
}

void check_disjoint(const char* op, const char* out_name, const Tensor& out, const char* in_name,
                    const Tensor& in) {
  RETUNE_CHECK(!out.overlaps(in), "{}: {} overlaps {}; they must not share memory", op, out_name,
               in_name);
}

void check_in_place_or_disjoint(const char* op, const char* out_name, const Tensor& out,
                                const char* in_name, const Tensor& in) {
  const bool in_place = in.storage() == out.storage() && in.dtype() == out.dtype() &&
                        activation_data(in) == activation_data(out);
  if (!in_place) check_disjoint(op, out_name, out, in_name, in);
}

void check_backend(const char* op, Device device) {
  RETUNE_CHECK(device_supported(device), "{}: no backend for {} in this build", op,
               device_name(device));
}

float* optional_data(const Tensor& t) {
  return t.defined() ? t.mutable_data<float>() : nullptr;
}

float* optional_device_data(const Tensor& t) {
  return t.defined() ? t.mutable_device_data<float>() : nullptr;
}

const float* optional_input(const Tensor& t) {
  return t.defined() ? t.data<float>() : nullptr;
}

const float* optional_device_input(const Tensor& t) {
  return t.defined() ? t.device_data<float>() : nullptr;
}

const void* activation_data(const Tensor& t) {
  if (!t.defined()) return nullptr;
  if (t.dtype() == DType::bf16) return t.device_data<uint16_t>();
  return t.device_data<float>();
}

void* mutable_activation_data(const Tensor& t) {
  if (!t.defined()) return nullptr;
  if (t.dtype() == DType::bf16) return t.mutable_device_data<uint16_t>();
  return t.mutable_device_data<float>();
}

}  // namespace retune::ops
