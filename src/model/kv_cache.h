// KvCache: the keys and values of every token a model has processed, per layer, so that
// generation computes each new token's attention without recomputing the past.
//
// keys(l), values(l): f32 [B, S, Hkv, D] per layer l (S = capacity), owned by the cache, on the
// model's device; rows [0, length()) hold the tokens so far. A forward with a cache stores its T
// new tokens' keys and values at rows [length, length + T) of every layer, then advances length by
// T.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "model/model_config.h"

namespace retune::model {

class KvCache {
 public:
  // An empty cache for `batch` rows of up to `capacity` tokens of a model of `config` whose
  // weights are on `device`.
  KvCache(const ModelConfig& config, int64_t batch, int64_t capacity,
          Device device = Device::cpu());

  Device device() const { return device_; }
  int64_t batch() const { return batch_; }
  int64_t capacity() const { return capacity_; }
  int64_t length() const { return length_; }
  const Tensor& keys(int64_t layer) const { return keys_.at(static_cast<size_t>(layer)); }
  const Tensor& values(int64_t layer) const { return values_.at(static_cast<size_t>(layer)); }

  // Checks that `tokens` more tokens of `batch` rows fit; `caller` starts the error message.
  void check_room(const char* caller, int64_t batch, int64_t tokens) const;
  // Copies k and v, f32 [B, T, Hkv, D], into rows [length, length + T) of `layer`.
  void store(int64_t layer, const Tensor& k, const Tensor& v);
  // The T tokens stored in every layer are now part of the cache: length += T.
  void advance(int64_t tokens);
  // Forgets every token (length 0); the memory is kept.
  void clear() { length_ = 0; }

 private:
  Device device_;
  int64_t batch_;
  int64_t capacity_;
  int64_t length_ = 0;
  std::vector<Tensor> keys_;
  std::vector<Tensor> values_;
};

}  // namespace retune::model
