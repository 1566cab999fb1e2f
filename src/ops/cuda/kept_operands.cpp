#include "ops/cuda/kept_operands.h"

#include <map>
#include <mutex>

#include "core/cuda/runtime.h"

namespace retune::ops::cuda {
namespace {

struct Kept {
  OperandTier large{kLargeOperands, SIZE_MAX};
  OperandTier small{SIZE_MAX, kSmallOperandBudget};
  OperandTier& tier(size_t bytes) { return bytes >= kLargeOperandBytes ? large : small; }
};

std::mutex& kept_mutex() {
  static std::mutex mutex;
  return mutex;
}

Kept& kept() {
  static auto* per_device = new std::map<int, Kept>;  // never destroyed
  return (*per_device)[retune::cuda::current_device()];
}

}  // namespace

size_t OperandTier::KeyHash::operator()(const OperandKey& key) const {
  size_t hash = 0;
  for (const int64_t part : key) {
    hash ^= std::hash<int64_t>{}(part) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  }
  return hash;
}

OperandTier::OperandTier(size_t max_copies, size_t max_bytes)
    : max_copies_(max_copies), max_bytes_(max_bytes) {}

Tensor OperandTier::find(const OperandKey& key) {
  const auto found = index_.find(key);
  if (found == index_.end()) return Tensor();
  copies_.splice(copies_.end(), copies_, found->second);
  return found->second->second;
}

void OperandTier::keep(const OperandKey& key, const Tensor& packed) {
  if (index_.contains(key)) return;
  copies_.emplace_back(key, packed);
  index_.emplace(key, std::prev(copies_.end()));
  bytes_ += packed.nbytes();
  while (copies_.size() > max_copies_ || bytes_ > max_bytes_) {
    bytes_ -= copies_.front().second.nbytes();
    index_.erase(copies_.front().first);
    copies_.pop_front();
  }
}

OperandKey operand_key(const void* data, DType dtype, int64_t rows, int64_t cols, int64_t ld,
                       int64_t batch_stride, uint64_t version, int64_t matrices) {
  return {static_cast<int64_t>(reinterpret_cast<uintptr_t>(data)),
          static_cast<int64_t>(dtype),
          rows,
          cols,
          ld,
          batch_stride,
          static_cast<int64_t>(version),
          matrices};
}

Tensor find_kept_operand(const OperandKey& key) {
  const std::lock_guard lock(kept_mutex());
  Kept& k = kept();
  Tensor found = k.large.find(key);
  return found.defined() ? found : k.small.find(key);
}

void keep_operand(const OperandKey& key, const Tensor& packed) {
  const std::lock_guard lock(kept_mutex());
  kept().tier(packed.nbytes()).keep(key, packed);
}

}  // namespace retune::ops::cuda
