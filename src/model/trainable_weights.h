// Making a model's base weights trainable: the weights a predicate names become owned f32
// copies in the model, each with a zeroed f32 gradient, and the architecture's TrainingStep is
// built over them (adapters attached to the model train too).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "model/bf16_activations.h"
#include "model/causal_lm.h"
#include "model/training_step.h"

namespace retune::model {

// A base weight that trains: its Hugging Face name, its value (owned f32, in the model) and its
// gradient (f32, the same shape).
struct TrainedWeight {
  std::string name;
  Tensor value;
  Tensor grad;
};

struct TrainingSetup {
  std::unique_ptr<TrainingStep> step;  // refers to the model, which must outlive it
  std::vector<TrainedWeight> weights;  // in the model's order
};

// `trains(name)` decides for every weight name of the model ("model.layers.0.mlp.up_proj.weight",
// "transformer.h.0.ln_1.bias", ...; a tied head has no name of its own and trains with the
// embedding table). With nothing trained and no adapter attached, training would change nothing:
// that is the caller's check.
// bf16_activations: where a Llama-family step keeps its large activations in bf16.
TrainingSetup make_training_step(CausalLm& model,
                                 const std::function<bool(const std::string&)>& trains,
                                 Bf16Activations bf16_activations = Bf16Activations::on_gpu);

// Moves every weight of the model to `device`, in its dtype (a tied head follows its embedding
// table; a Llama model's rotary frequencies go too). Training steps keep the tensors they were
// made with: make them after the move.
void move_weights(CausalLm& model, Device device);

// Every weight of the model by name, in its order (the names `trains` is asked about; the
// tensors as the model holds them now: mmapped views, or owned f32 copies where they train).
std::vector<std::pair<std::string, Tensor>> named_weights(CausalLm& model);

// Replaces the weight `name` (one of named_weights', or "lm_head.weight" of a tied model, which
// unties the head: CausalLm::set_output_head) by `value`, which the model then holds. Throws
// naming the weight when the model has none of that name or its shape differs.
void set_weight(CausalLm& model, const std::string& name, Tensor value);

// set_weight for each of `weights` in order, each converted first to the dtype the model holds
// that weight in now (the loader keeps some weights in another dtype than the file's: norms in
// f32), so the model computes as when a folder of these weights loads; a head that shares the
// embedding table follows it (a later "lm_head.weight" among them unties it), also when an
// earlier call re-tied it so.
void replace_weights(CausalLm& model, const std::vector<std::pair<std::string, Tensor>>& weights);

}  // namespace retune::model
