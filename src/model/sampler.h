// Sampler: picks the next token from one row of logits ([V]) as Hugging Face transformers'
// generate() does, except for the random draw itself.
//
// Greedy (do_sample false): the argmax, the first index among equal maxima (torch.argmax). The
// other options are then ignored and not checked, as transformers builds no warpers without
// do_sample.
//
// Sampling: the warpers of transformers' GenerationMixin._get_logits_processor, in its order,
// each only when it is on; a filtered logit becomes -inf:
//   temperature (TemperatureLogitsWarper, on when != 1): logits / temperature;
//   top_k (TopKLogitsWarper, on when != 0): keeps every token whose logit is >= the k-th
//     largest (ties kept), k clamped to V;
//   top_p (TopPLogitsWarper, on when < 1): sorts the logits ascending (equal logits by index),
//     takes the softmax's cumulative sum and removes the tokens whose cumulative probability is
//     <= 1 - top_p, always keeping the last (most likely) one;
//   min_p (MinPLogitsWarper, on when > 0): keeps the tokens whose probability is >= min_p times
//     the largest probability.
// Then one token is drawn from the softmax of what is left, by inverse CDF in vocabulary order
// with one Rng uniform per call (transformers calls torch.multinomial). Probabilities are
// computed in double; where transformers compares its float32 scores with a threshold, both
// sides are rounded to float first, as torch does, so a boundary that float32 cannot tell
// apart (a cumulative 0.2 against 1 - 0.8) resolves as in exact arithmetic.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.h"

namespace retune::model {

struct SamplingOptions {
  bool do_sample = false;    // false: greedy
  double temperature = 1.0;  // > 0; logits are divided by it
  int64_t top_k = 0;         // >= 0; 0: off
  double top_p = 1.0;        // in [0, 1]; 1: off (0 keeps only the most likely token)
  double min_p = 0.0;        // in [0, 1]; 0: off
  uint64_t seed = 0;         // seeds the Rng that draws the tokens
};

// Throws retune::Error naming the first option out of the ranges above (transformers' own
// checks), e.g. "temperature must be > 0, got 0". Checks nothing when do_sample is false.
void validate_sampling_options(const SamplingOptions& options);

// Applies the warpers to `logits` ([V], no NaN) in place, whatever do_sample says. `order` is
// scratch space (resized to V); passing the same vector every call avoids allocating.
void apply_warpers(const SamplingOptions& options, std::span<float> logits,
                   std::vector<int32_t>& order);

class Sampler {
 public:
  // Validates the options (validate_sampling_options).
  explicit Sampler(const SamplingOptions& options);

  // The next token id for one row of logits ([V], V >= 1). NaN logits are an error, and so is
  // sampling when the largest logit left after the warpers is not finite (transformers fails on
  // the NaN probabilities either gives). The same seed and logits give the same tokens. Keeps
  // its buffers: no allocation after the first call for a given V.
  int32_t next(std::span<const float> logits);

 private:
  SamplingOptions options_;
  Rng rng_;
  std::vector<float> warped_;   // [V]
  std::vector<int32_t> order_;  // [V], apply_warpers' scratch
};

}  // namespace retune::model
