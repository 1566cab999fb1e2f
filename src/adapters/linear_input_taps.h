// LinearInputTaps: the inputs of chosen linear layers while the model runs its inference forward
// on calibration batches (PyTorch's forward hooks on the layers' inputs, as PEFT's EVA and CorDA
// use them). Each chosen site gets an observer in its adapter slot that hands the layer's input
// to a visitor and leaves the output alone.
//
//   visit(site, x): site indexes the sites given to the constructor; x: f32 [B * T, I], the
//   batch's rows in order, valid only during the call. Sites that share their input (q, k and v
//   of a layer) are handed the same tensor, so x's data pointer tells them apart.
//
// The sites must have no adapter while tapped; the destructor detaches the observers.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "adapters/calibration_batches.h"
#include "model/causal_lm.h"

namespace retune::adapters {

class LinearInputTaps {
 public:
  using Visit = std::function<void(size_t site, const Tensor& x)>;

  LinearInputTaps(model::CausalLm& model, std::vector<model::LinearSite> sites);
  ~LinearInputTaps();
  LinearInputTaps(const LinearInputTaps&) = delete;
  LinearInputTaps& operator=(const LinearInputTaps&) = delete;

  // Runs the model's forward on batch.input_ids, calling visit for each tapped site's input.
  void run(const CalibrationBatch& batch, const Visit& visit);

 private:
  model::CausalLm& model_;
  std::vector<model::LinearSite> sites_;
  const Visit* visit_ = nullptr;  // during run()
};

// The rows of x [N, I] whose mask entry is not 0, as a new f32 [n, I] tensor (n may be 0).
Tensor masked_rows(const Tensor& x, const std::vector<uint8_t>& mask);

}  // namespace retune::adapters
