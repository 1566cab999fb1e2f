// The bf16 copies of product operands that the GPU's matrix products keep for later products of
// the same bytes (ops/cuda/gemm.h), per device. A copy is found by what it copies: the source's
// address, dtype, stored rows, cols, leading dim, batch stride, number of matrices and
// Storage::version (which changes with every write, so a found copy always equals a fresh one).
// Two tiers, each dropping its least recently used copy first:
//   large (>= kLargeOperandBytes): the last kLargeOperands, a layer's inputs and gradients,
//     read by a projection and its adapter or by several projections in a row;
//   small: up to kSmallOperandBudget bytes in all, adapter weights (most made ahead by
//     gemm.h's keep_bf16_copies) and f32 [N, r] products, read again in the backward, many
//     products later.
// Built with RETUNE_CUDA.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>
#include <utility>

#include "core/tensor.h"

namespace retune::ops::cuda {

constexpr size_t kLargeOperandBytes = size_t{1} << 20;
constexpr size_t kLargeOperands = 3;
constexpr size_t kSmallOperandBudget = size_t{96} << 20;

// data, dtype, rows, cols, ld, batch stride, version, matrices
using OperandKey = std::array<int64_t, 8>;

// One tier: copies in the order of their last use, the least recently used dropped first while
// there are more than max_copies or more than max_bytes of them.
class OperandTier {
 public:
  OperandTier(size_t max_copies, size_t max_bytes);
  // The copy of `key` (now the most recently used), or an undefined tensor.
  Tensor find(const OperandKey& key);
  // Keeps `packed` as the copy of key (a key already kept keeps its copy).
  void keep(const OperandKey& key, const Tensor& packed);
  size_t size() const { return copies_.size(); }

 private:
  struct KeyHash {
    size_t operator()(const OperandKey& key) const;
  };
  using Copies = std::list<std::pair<OperandKey, Tensor>>;

  size_t max_copies_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  Copies copies_;
  std::unordered_map<OperandKey, Copies::iterator, KeyHash> index_;
};

// The key of the copy of `matrices` matrices [rows, cols] of `dtype` at data, rows ld apart and
// matrices batch_stride apart, whose storage has `version`.
OperandKey operand_key(const void* data, DType dtype, int64_t rows, int64_t cols, int64_t ld,
                       int64_t batch_stride, uint64_t version, int64_t matrices);

// The kept copy of `key` on the current device (then the most recently used of its tier), or
// an undefined tensor.
Tensor find_kept_operand(const OperandKey& key);

// Keeps `packed` (a bf16 tensor on the current device) as the copy of `key`.
void keep_operand(const OperandKey& key, const Tensor& packed);

}  // namespace retune::ops::cuda
