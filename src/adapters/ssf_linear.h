// SsfLinear: SSF (Scale and Shift Features, Lian et al. 2022, NeurIPS; dongzelian/SSF) on one
// frozen linear layer: a learned scale γ and shift β of its output, and/or of its input when the
// input is the output of a normalisation layer SSF targets (the norm has no adapter slot of its
// own: model/norm_site.h, so each linear that reads it applies the norm's pair).
//
//   W: [O, I] the frozen weight in nn.Linear layout, f32, bf16 or f16, with unit stride along
//      one dim; for GPT-2's Conv1D weights (stored [I, O]) pass weight.transpose(0, 1).
//   b: [O] f32 the linear's bias, or undefined when it has none. The adapter keeps views of
//      both (sharing their storage).
//   x: [N, I], z: [N, O] = x W^T, f32 contiguous: the model adds b after the adapter
//      (model/linear_adapter.h). On the CPU or a GPU (move_to): the per-column work is
//      ops/column_scale.h's.
//   output pair (γ, β) [O], the linear's own (β may be absent: 0), and input pair (γ_n, β_n) [I],
//   the norm's, shared with every other linear that reads the same norm (β_n may be absent);
//   at least one of the two:
//     y = γ ⊙ (W (γ_n ⊙ x + β_n) + b) + β
//     z <- γ ⊙ (z' + b) − b + β,  z' = (γ_n ⊙ x + β_n) W^T recomputed from x when there is an
//                                  input pair (one more product with W; the model's z is
//                                  dropped), else z itself.
//
// Backward, given dz = dL/dy [N, O]:
//   output: dγ += Σ_n dz ⊙ (z' + b), dβ += Σ_n dz; the base path's gradient is d' = dz ⊙ γ.
//   input:  g = d' W [N, I] (one more product); dγ_n += Σ_n x ⊙ g, dβ_n += Σ_n g (the
//           norm's gradients accumulate over its linears); the adapter's path to x is
//           g ⊙ (γ_n − 1), so that with the model's d' W the input's gradient is g ⊙ γ_n.
//   Without an input pair the adapter has no path of its own to x.
// Sums over rows run in a fixed order (ops::add_column_products, ops::bias_add_backward): the same
// bits for any thread count.
//
// Memory: from forward() to backward() an adapter with an output pair keeps z' + b [N, O].
#pragma once

#include <cstdint>
#include <memory>

#include "core/tensor.h"
#include "model/linear_adapter.h"

namespace retune::adapters {

// One SSF pair of width W: scale γ and shift β, owned f32 [W] each, with their gradients (f32
// [W], zero at the start). The shift is undefined where SSF creates none
// (adapters/ssf_model.h: a shift that cannot merge).
struct SsfPair {
  Tensor scale, scale_grad;
  Tensor shift, shift_grad;

  // γ ~ N(1, std²) and, when `shift`, β ~ N(0, std²), drawn from seeds `seed` and `seed` + 1
  // (core/random_tensor.h).
  static std::shared_ptr<SsfPair> make(int64_t width, bool shift, double std, uint64_t seed);
  // Moves the pair and its gradients to `device` (every SsfLinear sharing it follows).
  void move_to(Device device);
  int64_t width() const { return scale.size(0); }
};

class SsfLinear final : public model::LinearAdapter {
 public:
  // Throws retune::Error for a bad weight or bias, a pair of the wrong width, or no pair.
  SsfLinear(Tensor weight, Tensor bias, std::shared_ptr<SsfPair> output,
            std::shared_ptr<SsfPair> input);

  void apply(const Tensor& x, const Tensor& z) const override;
  void forward(const Tensor& x, const Tensor& z) override;
  Tensor backward(const Tensor& x, const Tensor& dz, const Tensor& dx, bool accumulate_dx) override;

  // Makes `weight` and `bias`, the model's moved weight and bias (model::move_weights), the ones
  // the adapter views (checked against the current ones: adapters/linear_adapter_checks.h); its
  // pairs must be on `device` already (SsfPair::move_to). Drops a pending forward().
  void move_to(Device device, const Tensor& weight, const Tensor& bias);

  const std::shared_ptr<SsfPair>& output() const { return output_; }
  const std::shared_ptr<SsfPair>& input() const { return input_; }

  // On the CPU only: the merged weight [O, I] f32 diag(γ) W in nn.Linear layout (new storage; for
  // Conv1D its transpose is the stored [I, O] weight); W itself without an output pair. The input
  // pair's scale is not in it: it merges into the norm's weight.
  Tensor merged_weight() const;
  // The merged bias [O] f32: γ ⊙ (b + W β_n) + β, with W β_n only when `with_input_shift` (an
  // RMSNorm's shift, which has no slot in the norm) and every absent term 0.
  Tensor merged_bias(bool with_input_shift) const;

 private:
  // apply() (kept == nullptr) and forward(), which keeps z' + b in *kept with an output pair.
  void run(const char* op, const Tensor& x, const Tensor& z, Tensor* kept) const;

  Tensor weight_;
  Tensor bias_;
  std::shared_ptr<SsfPair> output_, input_;
  int64_t in_ = 0, out_ = 0;
  Tensor kept_;       // z' + b [N, O] of the last forward()
  int64_t rows_ = 0;  // N of the last forward(); 0: none to differentiate
};

}  // namespace retune::adapters
