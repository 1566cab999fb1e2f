// S2ftBlock: S2FT's trainable dense sub-block of one frozen linear layer W [O, I]
// (Infini-AI-Lab/S2FT s2ft/s2.py S2RowLinear / S2ColumnLinear), starting at zero so the layer
// starts as it was. With a contiguous range [begin, end) of k = end - begin indices:
//
//   columns (o_proj, down_proj): block S [O, k] on W's input columns;  z <- z + x[:, begin:end] S^T
//   rows    (v_proj, up_proj):   block S [k, I] on W's output rows;    z[:, begin:end] += x S^T
//
// Either is exactly W + S placed at its slice, so training S is training W with a gradient mask
// that keeps only the slice; fuse() adds S into W's slice.
//
//   x: [N, I], z: [N, O] f32 contiguous (see model/linear_adapter.h), on S's device (the CPU, or
//   a GPU after move_to).
//   Parameter "s2ft.weight": S, owned f32, with its gradient.
// Memory: nothing is kept between forward() and backward() (x comes back as its argument).
#pragma once

#include <cstdint>
#include <vector>

#include "adapters/adapter_parameter.h"
#include "model/linear_adapter.h"

namespace retune::adapters {

enum class S2ftAxis { columns, rows };

class S2ftBlock final : public model::LinearAdapter {
 public:
  // A block over [begin, end) of W's input columns (columns) or output rows (rows) of a linear
  // with `in` inputs and `out` outputs. Throws retune::Error for an empty or out-of-range slice.
  S2ftBlock(int64_t out, int64_t in, S2ftAxis axis, int64_t begin, int64_t end);

  void apply(const Tensor& x, const Tensor& z) const override;
  void forward(const Tensor& x, const Tensor& z) override;
  Tensor backward(const Tensor& x, const Tensor& dz, const Tensor& dx, bool accumulate_dx) override;

  std::vector<AdapterParameter> parameters() const;
  // Moves S and its gradient to `device`.
  void move_to(Device device);
  // On the CPU: W [O, I] f32 (a writable view of the model's weight): W's slice += S.
  void fuse(const Tensor& weight) const;

  S2ftAxis axis() const { return axis_; }
  int64_t begin() const { return begin_; }
  int64_t end() const { return end_; }
  const Tensor& value() const { return s_; }

 private:
  int64_t out_ = 0, in_ = 0;
  S2ftAxis axis_;
  int64_t begin_ = 0, end_ = 0;
  Tensor s_, s_grad_;
};

}  // namespace retune::adapters
