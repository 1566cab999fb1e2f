// The argument checks every model::LinearAdapter of adapters/ makes (LoRA, (IA)³, SSF), with
// errors that start with `op` ("SsfLinear::apply") and name the argument.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace retune::adapters {

// A frozen weight [O, I] as the adapters take it: float (f32, bf16, f16) on cpu, with unit
// stride along one dim (a Conv1D weight's transposed view is one).
void check_frozen_weight(const char* op, const Tensor& weight);

// What an adapter's move_to(device, weight, bias) takes: the model's weight and bias after
// model::move_weights, as the adapter views them now (`current_weight`, `current_bias`: same dtype,
// shape and strides; a bias exactly where there was one), on `device`.
void check_moved_weights(const char* op, const Tensor& weight, const Tensor& bias,
                         const Tensor& current_weight, const Tensor& current_bias, Device device);

// x [N, in] and z [N, out] as model/linear_adapter.h passes them to apply() / forward(), on
// `device`, where the adapter's parameters are: f32, or also bf16 each for an adapter that takes
// a model's bf16 activations (bf16_too).
void check_activations(const char* op, const Tensor& x, const Tensor& z, int64_t in, int64_t out,
                       Device device, bool bf16_too = false);

// x [rows, in], dz [rows, out] and dx [rows, in] (when defined) as backward() gets them, on
// `device`; with bf16_too, each may be bf16.
void check_gradients(const char* op, const Tensor& x, const Tensor& dz, const Tensor& dx,
                     int64_t rows, int64_t in, int64_t out, Device device, bool bf16_too = false);

}  // namespace retune::adapters
