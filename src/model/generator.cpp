#include "model/generator.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/error.h"

namespace retune::model {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

GenerationResult generate(const CausalLm& model, const std::vector<int32_t>& prompt,
                          const GenerationOptions& options, const TokenCallback& on_token) {
  RETUNE_CHECK(!prompt.empty(), "generate: the prompt has no tokens");
  RETUNE_CHECK(options.max_new_tokens >= 0, "generate: max_new_tokens must be >= 0, got {}",
               options.max_new_tokens);
  const auto prompt_tokens = static_cast<int64_t>(prompt.size());
  const int64_t limit = position_limit(model.config());
  RETUNE_CHECK(prompt_tokens <= limit,
               "generate: the prompt's {} tokens exceed the model's {} positions", prompt_tokens,
               limit);
  Sampler sampler(options.sampling);
  GenerationResult result;
  if (options.max_new_tokens == 0) return result;
  // The last new token is never fed back, so the cache holds prompt + max_new_tokens - 1.
  const int64_t new_tokens = std::min(options.max_new_tokens, limit - prompt_tokens + 1);
  // The model's device (its weights'): the cache and each step's input go there, the next
  // token's logits come back for the sampler.
  const Device device = model.output_head().device();
  KvCache cache(model.config(), 1, prompt_tokens + new_tokens - 1, device);

  // Why generation ends after `token`, the n-th new one; nothing while it goes on.
  const auto stop_after = [&](int32_t token, int64_t n) -> std::optional<StopReason> {
    if (on_token && !on_token(token)) return StopReason::caller;
    if (std::ranges::find(options.stop_ids, token) != options.stop_ids.end()) {
      return StopReason::stop_token;
    }
    if (n == options.max_new_tokens) return StopReason::max_tokens;
    if (n == new_tokens) return StopReason::context;
    return std::nullopt;
  };

  Tensor input = Tensor::from_vector<int32_t>({1, prompt_tokens}, DType::i32, prompt);
  for (auto start = std::chrono::steady_clock::now();; start = std::chrono::steady_clock::now()) {
    const Tensor hidden = model.forward_hidden(on_device(input, device), Tensor(), &cache);
    const int64_t last = hidden.size(1) - 1;
    const Tensor logits = on_device(model.logits(hidden.slice(1, last, last + 1)), Device::cpu());
    const int32_t token = sampler.next({logits.data<float>(), static_cast<size_t>(logits.numel())});
    result.ids.push_back(token);
    (result.ids.size() == 1 ? result.prefill_seconds : result.decode_seconds) +=
        seconds_since(start);
    if (const auto reason = stop_after(token, static_cast<int64_t>(result.ids.size()))) {
      result.reason = *reason;
      return result;
    }
    input = Tensor::from_vector<int32_t>({1, 1}, DType::i32, std::vector<int32_t>{token});
  }
}

}  // namespace retune::model
