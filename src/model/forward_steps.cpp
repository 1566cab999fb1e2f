#include "model/forward_steps.h"

#include <fmt/format.h>

#include "core/error.h"
#include "ops/add.h"
#include "ops/attention.h"
#include "ops/matmul.h"

namespace retune::model {

void add_bias(const Tensor& out, const Tensor& bias) {
  ops::bias_add_forward(out, bias);
}

Tensor checked_positions(const char* model, const Tensor& input_ids, const Tensor& positions,
                         int64_t past) {
  RETUNE_CHECK(input_ids.rank() == 2 && input_ids.dtype() == DType::i32,
               "{}::forward: input_ids must be i32 [B, T], got {}", model, input_ids.describe());
  RETUNE_CHECK(!positions.defined() ||
                   (positions.dtype() == DType::i32 && positions.shape() == input_ids.shape()),
               "{}::forward: positions must be i32 {}, got {}", model, input_ids.shape().str(),
               positions.describe());
  if (positions.defined()) return positions.contiguous();
  const int64_t batch = input_ids.size(0);
  const int64_t time = input_ids.size(1);
  Tensor defaults = Tensor::empty({batch, time}, DType::i32);
  auto* p = defaults.mutable_data<int32_t>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < time; ++t) p[b * time + t] = static_cast<int32_t>(past + t);
  }
  return defaults.to(input_ids.device());
}

Tensor forward_positions(const char* model, const Tensor& input_ids, const Tensor& positions,
                         const KvCache* cache, Device device) {
  RETUNE_CHECK(input_ids.device() == device, "{}::forward: the input is on {}, the model on {}",
               model, device_name(input_ids.device()), device_name(device));
  RETUNE_CHECK(!cache || cache->device() == device,
               "{}::forward: the KV cache is on {}, the model on {}", model,
               device_name(cache ? cache->device() : device), device_name(device));
  Tensor checked = checked_positions(model, input_ids, positions, cache ? cache->length() : 0);
  if (cache) {
    cache->check_room(fmt::format("{}::forward", model).c_str(), input_ids.size(0),
                      input_ids.size(1));
  }
  return checked;
}

void attend(const Tensor& q, const Tensor& k, const Tensor& v, int64_t layer, float scale,
            KvCache* cache, const Tensor& out) {
  if (!cache) {
    const Tensor lse = Tensor::empty({q.size(0), q.size(2), q.size(1)}, DType::f32, q.device());
    ops::attention_forward(q, k, v, Tensor(), scale, out, lse);
    return;
  }
  cache->store(layer, k, v);
  ops::attention_cached_forward(q, cache->keys(layer), cache->values(layer), cache->length(), scale,
                                out);
}

Tensor head_logits(const char* model, const Tensor& hidden, const Tensor& lm_head) {
  const int64_t channels = lm_head.size(1);
  RETUNE_CHECK(hidden.rank() == 3 && hidden.dtype() == DType::f32 && hidden.size(2) == channels,
               "{}::logits: hidden must be f32 [B, T, {}], got {}", model, channels,
               hidden.describe());
  const int64_t batch = hidden.size(0);
  const int64_t time = hidden.size(1);
  const Tensor flat = hidden.contiguous().reshape({batch * time, channels});
  const Tensor out = Tensor::empty({batch * time, lm_head.size(0)}, DType::f32, hidden.device());
  ops::matmul_forward(flat, lm_head, out, {.trans_b = true});
  return out.reshape({batch, time, lm_head.size(0)});
}

}  // namespace retune::model
