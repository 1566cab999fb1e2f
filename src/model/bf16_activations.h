// Where a Llama-family training step (model/llama_training.h) keeps its large activations in
// bf16, which halves their memory and traffic at bf16's precision (as PEFT's bf16 autocast): each
// layer's MLP activations [N, F] (gate, up, their swiglu, and the gradients of all three) and the
// norms' outputs that feed q, k, v and gate, up (recomputed in the backward, as before). A layer
// keeps f32 where bf16 cannot be used: a gate or up bias, or an adapter that takes f32 only
// (model/linear_adapter.h). The residual stream, attention and every other gradient stay f32.
// GPT-2's training step keeps f32 throughout.
#pragma once

namespace retune::model {

enum class Bf16Activations {
  on_gpu,      // on a GPU; the CPU keeps f32, its results the f32 reference
  everywhere,  // on every device (a test of the GPU's precision on the CPU)
  nowhere,     // f32 on every device (a benchmark's comparison)
};

}  // namespace retune::model
