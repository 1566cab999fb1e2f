// LinearAdapter: a trainable change attached to one frozen linear layer of a model (LoRA, DoRA,
// and relatives, implemented under adapters/). The model computes the base product and hands it
// to the adapter before adding the bias:
//
//   x: [N, I] f32, the linear's input;  z: [N, O] f32 = x W^T, the base product (no bias)
//   LoRA:  z <- z + s * (dropout(x) A^T) B^T
//   DoRA:  z <- (m / n) * (z + s * (x A^T) B^T)    n = ||W + s B A|| per row, detached
//          (with dropout in training, PEFT recomputes the base term on the dropped input: see
//          adapters/lora_linear.h)
//
// The model's inference forward calls apply(); its training forward calls forward() and, after
// the loss, backward() once for that forward, in the reverse order of the layers. An adapter
// keeps what its backward needs from the last forward() (one micro-batch at a time).
//
// A model that keeps activations in bf16 (on a GPU: model/llama_training.h) passes x, z, dz and
// dx in bf16 to an adapter whose takes_bf16_activations() says it can take them (each of the
// four f32 or bf16), and keeps f32 where an adapter cannot.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace retune::model {

class LinearAdapter {
 public:
  virtual ~LinearAdapter() = default;

  // Inference: z <- adapted z, in place; no dropout, nothing kept.
  virtual void apply(const Tensor& x, const Tensor& z) const = 0;
  // Training: as apply() with dropout active; keeps what backward() needs but x (the model
  // passes x again to backward(), so it may recompute it instead of keeping it).
  virtual void forward(const Tensor& x, const Tensor& z) = 0;
  // Training, for an adapter whose change is a term added to the base product (LoRA): as
  // forward(), but z receives the term alone (its old contents are not read), and the model then
  // adds the base product to it. That sum costs the base product's epilogue a read of z, less
  // than a pass of the adapter's own over a finished z. Returns false, leaving z and the adapter
  // as they were, when the change is not such a term (DoRA): the model then calls forward().
  virtual bool forward_term(const Tensor& /*x*/, const Tensor& /*z*/) { return false; }
  // Given x (the last forward()'s, the same values) and dz = dL/d(adapted z) [N, O]: adds to the
  // adapter's parameter gradients, writes its own path's gradient of x into dx [N, I] (added to
  // it when accumulate_dx, else overwriting it; skipped when dx is undefined), and returns the
  // gradient of the base product x W^T (dz itself for LoRA, (m / n) * dz for DoRA without
  // dropout; it may share dz's memory). The model then adds the base path's gradient, returned
  // dz times W, into dx.
  virtual Tensor backward(const Tensor& x, const Tensor& dz, const Tensor& dx,
                          bool accumulate_dx) = 0;
  // Whether forward() and backward() take bf16 x, z and dz (see above).
  virtual bool takes_bf16_activations() const { return false; }
  // The f32 weights the adapter's matrix products read (LoRA: A and B), which a GPU step readies
  // for its products all at once (ops::prepare_product_operands).
  virtual std::vector<Tensor> product_weights() const { return {}; }
};

}  // namespace retune::model
