#include "model/rope_frequencies.h"

#include <numbers>

#include "ops/rope.h"

namespace retune::model {

Tensor rope_frequencies(const ModelConfig& config) {
  Tensor inv_freq = ops::rope_inv_freq(config.rope.theta, config.rotary_dims());
  if (config.rope.type == RopeType::default_) return inv_freq;

  // torch evaluates each step in f32, with the Python scalars rounded to f32.
  const RopeConfig& rope = config.rope;
  const auto factor = static_cast<float>(rope.factor);
  const auto low = static_cast<float>(rope.low_freq_factor);
  const auto old_context = static_cast<double>(rope.original_max_position_embeddings);
  const auto low_freq_wavelen = static_cast<float>(old_context / rope.low_freq_factor);
  const auto high_freq_wavelen = static_cast<float>(old_context / rope.high_freq_factor);
  const auto band = static_cast<float>(rope.high_freq_factor - rope.low_freq_factor);
  float* values = inv_freq.mutable_data<float>();
  for (int64_t i = 0; i < inv_freq.numel(); ++i) {
    const float frequency = values[i];
    const float wavelen = static_cast<float>(2 * std::numbers::pi) / frequency;
    float scaled = wavelen > low_freq_wavelen ? frequency / factor : frequency;
    if (!(wavelen < high_freq_wavelen) && !(wavelen > low_freq_wavelen)) {
      const float smooth = (static_cast<float>(old_context) / wavelen - low) / band;
      const float kept = smooth * scaled;
      scaled = (1.0f - smooth) * scaled / factor + kept;
    }
    values[i] = scaled;
  }
  return inv_freq;
}

}  // namespace retune::model
