// Optimizer: AdamW or SGD over a list of trainable parameters, with what a trainer does around
// the update: global gradient-norm clipping, zeroing the gradients, the step count, and the
// state a checkpoint saves so that a resumed run continues bitwise identically.
//
// Every parameter steps at every step() with one lr (one param group, as HF Trainer's two
// groups differ only in weight_decay): ops::adamw_step (torch.optim.AdamW) or ops::sgd_step
// (torch.optim.SGD), with options.weight_decay where the parameter's `decay` is true and 0
// where it is false. State, f32 of each parameter's shape, allocated zeroed at construction:
// AdamW "exp_avg" and "exp_avg_sq" (m, v), SGD with momentum "momentum_buffer" (none without
// momentum), named as in torch's optimizer state_dict.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "io/safetensors_writer.h"

namespace retune::train {

// HF Trainer's weight-decay rule (transformers 5.24.0 Trainer.get_decay_parameter_names and
// trainer_pt_utils.get_parameter_names) for a full parameter name as named_parameters() gives
// it, e.g. "model.layers.0.input_layernorm.weight". False (no decay) when the lowercased name
// contains "bias", "layernorm" or "rmsnorm", has a dot-separated part equal to "norm"
// (regex (?:^|\.)norm(?:$|\.)) or ending in "_norm" (_norm(?:$|\.)), or — standing in for
// Trainer's exclusion of nn.LayerNorm modules by type — has a part starting with "ln_" (GPT-2's
// ln_1, ln_2, ln_f). True otherwise: linear and embedding weights, LoRA factors.
bool hf_decays(std::string_view name);

// One trainable tensor. The optimizer keeps these handles, which share storage with the model
// or adapter that owns the weights: step() writes through `value`.
struct Parameter {
  std::string name;   // unique; the state tensors are named "<name>.exp_avg" etc.
  Tensor value;       // f32, contiguous, writable; no two parameters may share memory
  Tensor grad;        // f32, value's shape, contiguous, writable; not aliasing value
  bool decay = true;  // weight decay applies (hf_decays(name) for HF Trainer's choice)
};

enum class OptimizerKind { adamw, sgd };

// Defaults are HF TrainingArguments' (weight_decay 0, adam_beta1/2, adam_epsilon).
struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::adamw;
  double weight_decay = 0.0;  // >= 0; AdamW: decoupled; SGD: L2 added to the gradient
  double beta1 = 0.9;         // AdamW, in [0, 1)
  double beta2 = 0.999;       // AdamW, in [0, 1)
  double eps = 1e-8;          // AdamW, >= 0
  double momentum = 0.0;      // SGD, >= 0
  double dampening = 0.0;     // SGD
  bool nesterov = false;      // SGD: needs momentum > 0 and dampening 0
};

// What a checkpoint stores: the steps taken and the state tensors, in parameter order.
struct OptimizerState {
  int64_t steps = 0;
  NamedTensors tensors;
};

class Optimizer {
 public:
  // Throws retune::Error for an empty list, a duplicate name, a value or gradient that is not
  // f32 contiguous (the gradient of the value's shape), parameters sharing memory, or options
  // out of range ("optimizer.beta1 must be in [0, 1), got 1").
  Optimizer(std::vector<Parameter> parameters, const OptimizerOptions& options);

  // Scales every gradient so that their global L2 norm is at most max_norm (ops/clip_grad_norm.h:
  // max_norm <= 0 only measures) and returns the norm before clipping. A non-finite norm leaves
  // the gradients as they are: the trainer then skips step().
  double clip_grad_norm(double max_norm);

  // One update of every parameter with learning rate lr (>= 0) from its current gradient but
  // the frozen ones (set_frozen); the step count goes up by one. Each parameter counts its own
  // updates for AdamW's bias correction and SGD's first momentum step, as PyTorch's per-parameter
  // state does when a parameter sits out steps.
  void step(double lr);
  // Parameters (by index) that step() leaves alone, values and state, until changed; empty:
  // none (IST: train/ist_schedule.h).
  void set_frozen(std::vector<bool> frozen);

  // Sets every gradient to zero (gradients accumulate over micro-batches until then).
  void zero_grad();

  int64_t steps() const { return steps_; }
  const std::vector<Parameter>& parameters() const { return parameters_; }

  // The step count and views of the live state tensors ("<param>.exp_avg", "<param>.exp_avg_sq"
  // or "<param>.momentum_buffer"): they change with the next step(), so write them first. Once a
  // parameter has sat out a step, every parameter's update count is added as "<param>.step"
  // (i64 [1]); without them, import_state takes each count to be the step count.
  OptimizerState export_state() const;
  // Copies a state exported by an optimizer of the same kind over the same parameters (any
  // tensor order; f32, any strides); throws, naming the tensor, for a missing, extra,
  // duplicated or misshapen one, or a negative step count.
  void import_state(const OptimizerState& state);

 private:
  std::string state_name(size_t i, size_t k) const;  // "<parameter i>.<state_names_[k]>"

  std::vector<Parameter> parameters_;
  OptimizerOptions options_;
  std::vector<std::string_view> state_names_;  // per parameter: the suffixes of state_[i]
  std::vector<std::vector<Tensor>> state_;
  int64_t steps_ = 0;
  std::vector<int64_t> updates_;  // per parameter: the steps that updated it
  std::vector<bool> frozen_;      // per parameter, or empty
};

}  // namespace retune::train
