// Ia3Linear: (IA)³ on one frozen linear layer, as PEFT 0.21's ia3.Linear computes it
// (huggingface/peft src/peft/tuners/ia3/layer.py IA3Layer.update_layer, Linear.forward, merge):
// a learned vector l rescales the layer's output or, for a feed-forward module, its input.
//
//   W: [O, I] the frozen weight in nn.Linear layout, f32, bf16 or f16, with unit stride along
//      one dim; for GPT-2's Conv1D weights (stored [I, O]) pass weight.transpose(0, 1).
//   b: [O] f32 the linear's bias, or undefined when it has none.
//      The adapter keeps views of both (sharing their storage); it reads W only when
//      input-scaled and b only when output-scaled.
//   x: [N, I], z: [N, O] = x W^T, f32 contiguous: the model adds b after the adapter
//      (model/linear_adapter.h). On the CPU or a GPU (move_to): the per-column work is
//      ops/column_scale.h's.
//   Parameter "ia3_l" (owned f32, PEFT's name and shape):
//     output-scaled (feedforward false): l [O, 1]   y = (x W^T + b) * l   (the bias scaled too)
//                                         z <- l * (z + b) - b
//     input-scaled  (feedforward true):  l [1, I]   y = (x * l) W^T + b
//                                         z <- (x * l) W^T, recomputed from x (one more product
//                                         with W than the model's; the model's z is dropped)
//   Initialisation: l = 1 (PEFT's init_ia3_weights = true), so the layer starts unchanged.
//
// Backward, given dz = dL/dy [N, O]:
//   output-scaled: dl_o += sum_n dz[n, o] (z[n, o] + b_o); the base product's gradient is
//                  dz * l (a new tensor); the adapter has no path of its own to x.
//   input-scaled:  g = dz W [N, I] (one more product); dl_i += sum_n x[n, i] g[n, i];
//                  the adapter's path to x is g * (l - 1) and the base product's gradient dz
//                  itself, so that with the model's dz W the input's gradient is g * l.
// Sums over rows run in a fixed order (ops::add_column_products): the same bits for any thread
// count.
//
// Merge (PEFT's Linear.merge): output-scaled W' = diag(l) W and b' = b * l; input-scaled
// W' = W diag(l), b unchanged.
//
// Memory: from forward() to backward() an output-scaled adapter keeps z + b [N, O]; an
// input-scaled one keeps nothing (x comes back as backward()'s argument).
#pragma once

#include <cstdint>
#include <vector>

#include "adapters/adapter_parameter.h"
#include "model/linear_adapter.h"

namespace retune::adapters {

class Ia3Linear final : public model::LinearAdapter {
 public:
  // Throws retune::Error for a bad weight or bias.
  Ia3Linear(Tensor weight, Tensor bias, bool feedforward);

  void apply(const Tensor& x, const Tensor& z) const override;
  void forward(const Tensor& x, const Tensor& z) override;
  Tensor backward(const Tensor& x, const Tensor& dz, const Tensor& dx, bool accumulate_dx) override;

  // Moves l and its gradient to `device`, where `weight` and `bias` are the model's moved weight
  // and bias (model::move_weights), which the adapter views from now on (checked against the
  // current ones: adapters/linear_adapter_checks.h). Drops a pending forward().
  void move_to(Device device, const Tensor& weight, const Tensor& bias);

  // ia3_l with its gradient.
  std::vector<AdapterParameter> parameters() const;
  bool feedforward() const { return feedforward_; }

  // On the CPU only: the merged weight [O, I] f32 in nn.Linear layout (new storage; for Conv1D its
  // transpose is the stored [I, O] weight), and the merged bias [O] f32: b * l when output-scaled
  // with a bias, else undefined (the bias is unchanged).
  Tensor merged_weight() const;
  Tensor merged_bias() const;

 private:
  // apply() (pre == nullptr) and forward(), which keeps z + b in *pre when output-scaled.
  void run(const char* op, const Tensor& x, const Tensor& z, Tensor* pre) const;

  Tensor weight_;
  Tensor bias_;
  bool feedforward_ = false;
  int64_t in_ = 0, out_ = 0;
  Tensor l_, l_grad_;
  Tensor pre_;        // output-scaled: z + b [N, O] of the last forward()
  int64_t rows_ = 0;  // N of the last forward(); 0: none to differentiate
};

}  // namespace retune::adapters
