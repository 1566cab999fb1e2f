// Deterministic double sums over many arrays on the GPU (clip_grad_norm's sum of squares, the
// anchor penalty): a batched kernel's blocks each write their partial sum into a slot of one
// buffer (blocks_per_array(n) slots per array, tensor_batches.cuh), then one block adds the slots
// in a fixed order and the total is read back. Built with RETUNE_CUDA.
#pragma once

#include <cstdint>

#include "ops/cuda/scratch.cuh"

namespace retune::ops::cuda {

class PartialSums {
 public:
  explicit PartialSums(int64_t slots);

  // Where the partial sums go: slots() [0, count).
  double* slots() const { return buffer_.data(); }
  // The sum of every slot, in a fixed order; waits for the work queued before (reads it back).
  double total() const;

 private:
  int64_t count_;
  Scratch<double> buffer_;  // the slots, then the total
};

}  // namespace retune::ops::cuda
