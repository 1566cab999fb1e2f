// LoraLinear: LoRA, rsLoRA and DoRA on one frozen linear layer, computed as PEFT's lora.Linear
// computes them (huggingface/peft src/peft/tuners/lora/layer.py Linear.forward,
// variants.py DoraLinearVariant.forward, dora.py DoraLinearLayer.forward / get_weight_norm).
//
//   W: [O, I] the frozen weight in nn.Linear layout, f32, bf16 or f16, with unit stride along
//      one dim; for GPT-2's Conv1D weights (stored [I, O]) pass weight.transpose(0, 1). The
//      adapter keeps this view (sharing its storage) and reads W only for DoRA.
//   x: [N, I], z: [N, O] = x W^T, contiguous, f32, or each bf16 (a model's bf16 activations;
//      not with DoRA), as are backward()'s dz and dx (see model/linear_adapter.h). On the CPU or
//      a GPU (move_to), LoRA and DoRA alike: DoRA's per-output work is ops/dora.h's and
//      ops/column_scale.h's.
//   Parameters, owned f32, named as PEFT saves them (A and B keep this orientation for Conv1D):
//     "lora_A.weight" A [r, I], "lora_B.weight" B [O, r], DoRA "lora_magnitude_vector" m [O].
//   s = alpha / r, or alpha / sqrt(r) with use_rslora;  d(x) = dropout(x), in forward() only.
//
//   LoRA:  z <- z + s (d(x) A^T) B^T
//   DoRA:  n = ||W + s B A|| per output row (over the input dim), recomputed at every call and
//          treated as a constant in backward (DoRA paper §4.3; PEFT detaches it);  c = m / n.
//          apply(), or dropout p = 0:   z <- c * (z + s (x A^T) B^T)
//          forward() with p > 0:        z <- z + (c - 1) * (d(x) W^T) + c * s (d(x) A^T) B^T
//          The latter is PEFT's: with an active dropout, DoraLinearVariant passes the dropped
//          input to DoraLinearLayer, which recomputes its base term from it, so the dropped
//          input also feeds (c - 1) W. It costs one more product with W in forward() and in
//          backward(), and backward() returns dz itself as the base product's gradient (the
//          (c - 1) W path goes into dx); with p = 0 it returns c * dz.
//
// Initialisation (PEFT's reset_lora_parameters): B = 0 and A either Kaiming-uniform with
// a = sqrt(5), i.e. U(-1/sqrt(I), 1/sqrt(I)), or "gaussian" N(0, std = 1/r); for DoRA
// m = ||W + s B A|| = ||W|| per row, so the layer starts as the identity. The draws come from
// core/rng.h seeded with init_seed, not from torch's generator: to start from PEFT's tensors,
// load them with set_parameter().
//
// Dropout uses ops/dropout.h with dropout_seed; the k-th forward() draws its mask at an offset
// equal to the sum of numel(x) over the forward() calls before it.
//
// Memory: from forward() to backward() the adapter keeps d(x) A^T [N, r] (in x's dtype on the
// CPU, bf16 on a GPU, whose products round their operands to bf16: the values they would read,
// without a rounding pass of their own; its gradient likewise, in dz's dtype or bf16), and for DoRA
// c, n [O] and the scaled term [N, O]; backward() releases them (x comes back as its argument).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/adapter_parameter.h"
#include "model/linear_adapter.h"

namespace retune::adapters {

enum class LoraInit { kaiming_uniform, gaussian };

struct LoraOptions {
  int64_t r = 8;
  float alpha = 8.0f;
  float dropout = 0.0f;  // p in [0, 1]
  bool use_rslora = false;
  bool use_dora = false;
  LoraInit init = LoraInit::kaiming_uniform;
  uint64_t init_seed = 0;
  uint64_t dropout_seed = 0;
};

class LoraLinear final : public model::LinearAdapter {
 public:
  // Throws retune::Error for a bad weight or options.
  LoraLinear(Tensor weight, const LoraOptions& options);

  void apply(const Tensor& x, const Tensor& z) const override;
  void forward(const Tensor& x, const Tensor& z) override;
  bool forward_term(const Tensor& x, const Tensor& z) override;  // LoRA: s (d(x) A^T) B^T
  Tensor backward(const Tensor& x, const Tensor& dz, const Tensor& dx, bool accumulate_dx) override;
  bool takes_bf16_activations() const override { return !options_.use_dora; }
  std::vector<Tensor> product_weights() const override { return {a_, b_}; }

  // lora_A.weight, lora_B.weight and, for DoRA, lora_magnitude_vector, with their gradients.
  std::vector<AdapterParameter> parameters() const;
  // Copies `value` (any float dtype, the parameter's shape) into the parameter `name`.
  void set_parameter(std::string_view name, const Tensor& value);
  void zero_grad();
  // Moves the parameters and their gradients to `device` (what a forward kept is dropped), and
  // views `weight` there instead of W: the model's same weight, moved there before (W's dtype,
  // shape and strides: a Conv1D weight's transposed view too).
  void move_to(Device device, const Tensor& weight);

  // ΔW [O, I] f32 such that W + ΔW is the merged weight (PEFT's merge): s B A for LoRA,
  // c * (W + s B A) - W for DoRA (on the CPU). For Conv1D, ΔW^T is the change of the stored
  // [I, O] weight.
  Tensor merged_delta() const;

  float scaling() const { return scaling_; }
  // Replaces s (IST's response suppression scales it for a trial and sets it back).
  void set_scaling(float scaling) { scaling_ = scaling; }

  // Where the next forward()'s dropout mask starts; a resumed run restores it to draw the masks
  // an uninterrupted run would.
  uint64_t dropout_offset() const { return next_dropout_offset_; }
  void set_dropout_offset(uint64_t offset) { next_dropout_offset_ = offset; }

 private:
  // What backward() needs from the last forward().
  struct Saved {
    Tensor xa;     // d(x) A^T [N, r], x's dtype (bf16 on a GPU)
    Tensor term;   // DoRA: what c scales, (z or d(x) W^T) + s (d(x) A^T) B^T [N, O]
    Tensor scale;  // DoRA: c [O]
    Tensor norm;   // DoRA: n [O]
    uint64_t dropout_offset = 0;
  };

  // apply() (saved == nullptr: no dropout, nothing kept), forward() and, with term_only (LoRA
  // only), forward_term().
  void run(const char* op, const Tensor& x, const Tensor& z, Saved* saved,
           bool term_only = false) const;
  // forward() and forward_term(): run() with what backward() needs kept.
  void train_forward(const char* op, const Tensor& x, const Tensor& z, bool term_only);
  Tensor dropped(const Tensor& x, uint64_t offset) const;  // d(x), a new tensor
  Tensor weight_f32() const;      // W as f32, a view or a copy (merged_delta, on the CPU)
  Tensor scaled_product() const;  // s B A [O, I]
  // DoRA's n = ||W + s B A|| and c = m / n [O] (ops/dora.h), new tensors on the adapter's device.
  std::pair<Tensor, Tensor> norm_and_scale() const;

  Tensor weight_;
  LoraOptions options_;
  int64_t in_ = 0, out_ = 0;
  float scaling_ = 0.0f;
  Tensor a_, b_, m_;
  Tensor a_grad_, b_grad_, m_grad_;
  Saved saved_;
  uint64_t next_dropout_offset_ = 0;
};

}  // namespace retune::adapters
