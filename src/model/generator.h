// generate: continues a prompt token by token with a KV cache, as transformers' generate() does
// for one sequence: the prompt in one forward (prefill), then one forward per new token, each
// token chosen by a Sampler from the last position's logits. It runs where the model's weights
// are (the CPU or a GPU: the cache lives there, the logits come back to the host).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/causal_lm.h"
#include "model/sampler.h"

namespace retune::model {

struct GenerationOptions {
  SamplingOptions sampling;
  int64_t max_new_tokens = 256;   // >= 0
  std::vector<int32_t> stop_ids;  // generation ends after emitting one of these (eos ids)
};

enum class StopReason {
  stop_token,  // a stop id was emitted (it is the last of `ids`)
  max_tokens,  // max_new_tokens were emitted
  context,     // the next token would need a position the model does not have (GPT-2)
  caller,      // on_token asked to stop
};

struct GenerationResult {
  std::vector<int32_t> ids;  // the new tokens, without the prompt
  StopReason reason = StopReason::max_tokens;
  double prefill_seconds = 0;  // the prompt's forward and its first token
  double decode_seconds = 0;   // every later token
};

// Called with each new token as soon as it is chosen; returning false stops generation.
using TokenCallback = std::function<bool(int32_t token)>;

// Continues `prompt` (ids in [0, V), not empty). Throws retune::Error for bad options, an
// empty prompt, or a prompt longer than the model's positions (GPT-2's learned positions).
GenerationResult generate(const CausalLm& model, const std::vector<int32_t>& prompt,
                          const GenerationOptions& options, const TokenCallback& on_token = {});

}  // namespace retune::model
