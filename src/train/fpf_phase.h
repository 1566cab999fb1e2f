// FpfPhase: forgetting-prioritised fine-tuning (FPF and k-FPF, METHODS.md B4; Mammoth's k-FPF):
// every `every` optimizer steps of the stream, a short phase fine-tunes only the modules that
// drift most between tasks on a small buffer of old data, then the stream goes on. The text
// mapping of B4 picks those modules by name: the trained tensors whose name contains one of
// `modules` — "norm" (every RMSNorm/LayerNorm), "lm_head", or the word "last_layer" for every
// tensor of the last decoder layer ("layers.<L-1>." / "h.<L-1>."). With LoRA only trained
// tensors can be chosen: the adapter's factors in the last layer.
//
// A phase runs `steps` micro-batches of `batch_size` rows from the buffer (a stream that goes
// on from phase to phase); each backward fills every trained gradient, the chosen tensors take
// an optimizer step (a fresh optimizer of the run's kind each phase, clipped to max_grad_norm)
// and every gradient is zeroed. The run's own optimizer state is untouched. The buffer's rows go
// to the trained tensors' device (a GPU's for a run there) for the steps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/batch_stream.h"
#include "model/training_step.h"
#include "train/optimizer.h"

namespace retune::train {

struct FpfOptions {
  int64_t every = 0;  // optimizer steps between phases, >= 1
  int64_t steps = 0;  // micro-batches per phase, >= 1
  double lr = 0;
  double max_grad_norm = 1.0;
  OptimizerOptions optimizer;
  std::vector<std::string> modules;  // name parts; "last_layer" as above
};

class FpfPhase {
 public:
  // `parameters` are the run's trained tensors; `layers` the model's decoder layers. Throws an
  // Error naming `modules` when none of the parameters is chosen.
  FpfPhase(const std::vector<Parameter>& parameters, int64_t layers, BatchStream buffer,
           FpfOptions options);

  bool due(int64_t step) const { return step % options_.every == 0; }
  // Runs one phase; returns its mean loss.
  double run(model::TrainingStep& step);

  const std::vector<Parameter>& chosen() const { return chosen_; }
  DataPosition position() const { return buffer_.position(); }

 private:
  std::vector<Parameter> all_;
  std::vector<Parameter> chosen_;
  BatchStream buffer_;
  FpfOptions options_;
};

// Whether FPF fine-tunes the tensor `name` of a model with `layers` decoder layers.
bool fpf_chooses(const std::string& name, const std::vector<std::string>& modules, int64_t layers);

}  // namespace retune::train
