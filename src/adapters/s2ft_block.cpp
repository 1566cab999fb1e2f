#include "adapters/s2ft_block.h"

#include "core/error.h"
#include "ops/add.h"
#include "ops/arg_checks.h"
#include "ops/matmul.h"

namespace retune::adapters {
namespace {

// out[:, begin:begin+k] += part [N, k], on any device: in place when the columns are contiguous
// (all of them, or one row); else (add writes contiguous outputs only) copied out, added to and
// copied back.
void add_columns(const Tensor& out, int64_t begin, const Tensor& part) {
  const Tensor columns = out.slice(1, begin, begin + part.size(1));
  if (columns.is_contiguous()) {
    ops::add_forward(columns, part, columns);
    return;
  }
  const Tensor sum = columns.clone();
  ops::add_forward(sum, part, sum);
  columns.copy_from(sum);
}

}  // namespace

S2ftBlock::S2ftBlock(int64_t out, int64_t in, S2ftAxis axis, int64_t begin, int64_t end)
    : out_(out), in_(in), axis_(axis), begin_(begin), end_(end) {
  const int64_t extent = axis == S2ftAxis::columns ? in : out;
  RETUNE_CHECK(out >= 1 && in >= 1 && 0 <= begin && begin < end && end <= extent,
               "S2ftBlock: the slice [{}, {}) of a [{}, {}] weight's {} is empty or out of range",
               begin, end, out, in, axis == S2ftAxis::columns ? "columns" : "rows");
  const Shape shape = axis == S2ftAxis::columns ? Shape{out, end - begin} : Shape{end - begin, in};
  s_ = Tensor::zeros(shape, DType::f32);
  s_grad_ = Tensor::zeros(shape, DType::f32);
}

void S2ftBlock::apply(const Tensor& x, const Tensor& z) const {
  const char* op = "S2ftBlock";
  const Device device = s_.device();
  ops::check_tensor(op, "x", x, DType::f32, {x.size(0), in_}, device);
  ops::check_output(op, "z", z, DType::f32, {x.size(0), out_}, device);
  if (axis_ == S2ftAxis::columns) {
    ops::matmul_forward(x.slice(1, begin_, end_), s_, z, {.trans_b = true, .beta = 1.0f});
  } else {
    const Tensor part = Tensor::empty({x.size(0), end_ - begin_}, DType::f32, device);
    ops::matmul_forward(x, s_, part, {.trans_b = true});
    add_columns(z, begin_, part);
  }
}

void S2ftBlock::forward(const Tensor& x, const Tensor& z) {
  apply(x, z);
}

Tensor S2ftBlock::backward(const Tensor& x, const Tensor& dz, const Tensor& dx,
                           bool accumulate_dx) {
  const char* op = "S2ftBlock::backward";
  const int64_t n = x.size(0);
  const Device device = s_.device();
  ops::check_tensor(op, "x", x, DType::f32, {n, in_}, device);
  ops::check_tensor(op, "dz", dz, DType::f32, {n, out_}, device);
  if (axis_ == S2ftAxis::columns) {
    // dS += dz^T x[:, slice];  dx[:, slice] (+)= dz S, the rest of dx is 0 or kept.
    ops::matmul_forward(dz, x.slice(1, begin_, end_), s_grad_, {.trans_a = true, .beta = 1.0f});
    if (dx.defined()) {
      ops::check_output(op, "dx", dx, DType::f32, {n, in_}, device);
      if (!accumulate_dx) dx.fill(0.0);
      const Tensor part = Tensor::empty({n, end_ - begin_}, DType::f32, device);
      ops::matmul_forward(dz, s_, part);
      add_columns(dx, begin_, part);
    }
  } else {
    // dS += dz[:, slice]^T x;  dx (+)= dz[:, slice] S.
    const Tensor dz_slice = dz.slice(1, begin_, end_);
    ops::matmul_forward(dz_slice, x, s_grad_, {.trans_a = true, .beta = 1.0f});
    if (dx.defined()) {
      ops::check_output(op, "dx", dx, DType::f32, {n, in_}, device);
      ops::matmul_forward(dz_slice, s_, dx, {.beta = accumulate_dx ? 1.0f : 0.0f});
    }
  }
  return dz;
}

void S2ftBlock::move_to(Device device) {
  s_ = s_.to(device);
  s_grad_ = s_grad_.to(device);
}

std::vector<AdapterParameter> S2ftBlock::parameters() const {
  return {{"s2ft.weight", s_, s_grad_}};
}

void S2ftBlock::fuse(const Tensor& weight) const {
  ops::check_output("S2ftBlock::fuse", "weight", weight, DType::f32, {out_, in_}, Device::cpu());
  const Tensor slice =
      axis_ == S2ftAxis::columns ? weight.slice(1, begin_, end_) : weight.slice(0, begin_, end_);
  const int64_t rows = s_.size(0), cols = s_.size(1);
  const float* sp = s_.data<float>();
  float* wp = slice.mutable_data<float>();
  const int64_t row_stride = slice.stride(0), col_stride = slice.stride(1);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) wp[r * row_stride + c * col_stride] += sp[r * cols + c];
  }
}

}  // namespace retune::adapters
