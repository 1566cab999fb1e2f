// write_planted_model: a stand-in for a fine-tuned model whose changes are known, a copy of a
// model folder in which only the listed entries moved (each by its own amount), stored in the
// base's dtypes. For analyses that must find exactly those entries (eval/grafting.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "io/model_folder_writer.h"
#include "support/model_parity.h"

namespace retune {

struct PlantedChange {
  std::string weight;  // a Hugging Face weight name
  int64_t index = 0;   // a flat (row-major) entry of it
  float delta = 0;     // added to it
};

inline void write_planted_model(const std::filesystem::path& base, const std::filesystem::path& out,
                                const std::vector<PlantedChange>& changes) {
  NamedTensors weights = folder_tensors(base);
  for (auto& [name, weight] : weights) {
    std::vector<float> values = weight.to_f32_vector();
    for (const PlantedChange& change : changes) {
      if (change.weight == name) values.at(static_cast<size_t>(change.index)) += change.delta;
    }
    weight = Tensor::from_vector(weight.shape(), DType::f32, std::span<const float>(values))
                 .to(weight.dtype());
  }
  write_model_folder(base, weights, out);
}

}  // namespace retune
