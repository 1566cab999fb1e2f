// write_perturbed_model: a stand-in for a fully fine-tuned model in tests, a copy of a model
// folder whose every weight has moved by a reproducible amount (uniform in ±scale, from the
// seed), stored in the base's dtypes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "core/rng.h"
#include "io/model_folder_writer.h"
#include "support/model_parity.h"

namespace retune {

inline void write_perturbed_model(const std::filesystem::path& base,
                                  const std::filesystem::path& out, uint64_t seed,
                                  float scale = 0.05f) {
  NamedTensors weights = folder_tensors(base);
  Rng rng(seed);
  for (auto& [name, weight] : weights) {
    const uint64_t tensor_seed = rng.next_u64();
    std::vector<float> values = weight.to_f32_vector();
    for (size_t i = 0; i < values.size(); ++i) {
      values[i] += scale * (2 * counter_uniform(tensor_seed, i) - 1);
    }
    weight = Tensor::from_vector(weight.shape(), DType::f32, std::span<const float>(values))
                 .to(weight.dtype());
  }
  write_model_folder(base, weights, out);
}

}  // namespace retune
