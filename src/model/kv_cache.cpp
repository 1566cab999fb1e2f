#include "model/kv_cache.h"

#include "core/error.h"

namespace retune::model {

KvCache::KvCache(const ModelConfig& config, int64_t batch, int64_t capacity, Device device)
    : device_(device), batch_(batch), capacity_(capacity) {
  RETUNE_CHECK(batch > 0 && capacity > 0,
               "KvCache: batch and capacity must be positive, got {} and {}", batch, capacity);
  const Shape shape{batch, capacity, config.num_key_value_heads, config.head_dim};
  for (int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    keys_.push_back(Tensor::empty(shape, DType::f32, device));
    values_.push_back(Tensor::empty(shape, DType::f32, device));
  }
}

void KvCache::check_room(const char* caller, int64_t batch, int64_t tokens) const {
  RETUNE_CHECK(batch == batch_, "{}: {} batch rows for a KV cache of {}", caller, batch, batch_);
  RETUNE_CHECK(length_ + tokens <= capacity_,
               "{}: {} new tokens after {} do not fit the KV cache of {} tokens", caller, tokens,
               length_, capacity_);
}

void KvCache::store(int64_t layer, const Tensor& k, const Tensor& v) {
  const int64_t tokens = k.size(1);
  check_room("KvCache::store", k.size(0), tokens);
  const auto at = static_cast<size_t>(layer);
  keys_.at(at).slice(1, length_, length_ + tokens).copy_from(k);
  values_.at(at).slice(1, length_, length_ + tokens).copy_from(v);
}

void KvCache::advance(int64_t tokens) {
  check_room("KvCache::advance", batch_, tokens);
  length_ += tokens;
}

}  // namespace retune::model
