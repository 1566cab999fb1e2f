#include "train/memory_estimate.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>

#include "core/error.h"
#include "ops/cpu/cross_entropy_head.h"
#include "ops/cross_entropy_head.h"

namespace retune::train {
namespace {

// Floats per token: what one layer keeps for the backward, and one layer's backward temporaries.
struct LayerFloats {
  int64_t kept = 0;
  int64_t backward = 0;
};

LayerFloats layer_floats(const model::ModelConfig& config) {
  const int64_t C = config.hidden_size;
  const int64_t F = config.intermediate_size;
  if (config.architecture == model::Architecture::gpt2) {
    return {.kept = 8 * C + 2 * F + config.num_attention_heads + 4, .backward = 2 * F + 10 * C};
  }
  const int64_t q = config.num_attention_heads * config.head_dim;
  const int64_t kv = config.num_key_value_heads * config.head_dim;
  LayerFloats floats{.kept = 4 * C + 3 * F + 2 * q + 2 * kv + config.num_attention_heads + 2,
                     .backward = 3 * F + 3 * C + 2 * q + 2 * kv};
  if (config.qk_norm) {
    floats.kept += q + kv + config.num_attention_heads + config.num_key_value_heads;
    floats.backward += q + kv;
  }
  return floats;
}

// "12.3 GB", or "456.7 MB" under 1 GB.
std::string format_bytes(int64_t bytes) {
  const auto value = static_cast<double>(bytes);
  return value >= 1e9 ? fmt::format("{:.1f} GB", value / 1e9)
                      : fmt::format("{:.1f} MB", value / 1e6);
}

// /proc/meminfo's "MemAvailable:   123 kB" in bytes, or -1 without that line.
int64_t meminfo_available_bytes() {
  constexpr std::string_view key = "MemAvailable:";
  std::ifstream in("/proc/meminfo");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(key)) return std::stoll(line.substr(key.size())) * 1024;
  }
  return -1;
}

}  // namespace

MemoryEstimate estimate_training_memory(const model::ModelConfig& config, int64_t weight_bytes,
                                        int64_t trainable_elements,
                                        const OptimizerOptions& optimizer, int64_t batch_rows,
                                        int64_t seq_len) {
  const int64_t optimizer_bytes = optimizer.kind == OptimizerKind::adamw ? 8
                                  : optimizer.momentum > 0               ? 4
                                                                         : 0;
  // In doubles: the sizes a config may declare (bounded in model/model_config.h) can multiply past
  // int64; such an estimate saturates (and is then refused).
  const double N = static_cast<double>(batch_rows) * static_cast<double>(seq_len);
  const auto C = static_cast<double>(config.hidden_size);
  const auto V = static_cast<double>(config.vocab_size);
  const LayerFloats layer = layer_floats(config);
  const double head_rows =
      std::clamp(static_cast<double>(ops::cpu::kHeadScratchFloats / config.vocab_size), 1.0, N);
  const double head = N * (2 * C + 3) + head_rows * V +
                      std::min(static_cast<double>(ops::kCrossEntropyHeadChunk), V) * C;
  const double floats = N * static_cast<double>(config.num_hidden_layers * layer.kept) +
                        N * (4 * C + 2) + std::max(N * static_cast<double>(layer.backward), head);
  const auto bytes = [](double value) {
    return value >= 0x1p62 ? int64_t{1} << 62 : static_cast<int64_t>(value);
  };
  MemoryEstimate estimate{
      .weights = weight_bytes,
      .trainable_state = bytes(static_cast<double>(trainable_elements) * (8 + optimizer_bytes)),
      .activations = bytes(4 * floats)};
  estimate.total =
      bytes(static_cast<double>(estimate.weights) + static_cast<double>(estimate.trainable_state) +
            static_cast<double>(estimate.activations));
  return estimate;
}

int64_t available_memory_bytes() {
  int64_t available = meminfo_available_bytes();
  if (available < 0) return std::numeric_limits<int64_t>::max();
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  int64_t limit = 0;
  if (cgroup >> limit) available = std::min(available, limit);  // "max" reads as no number
  return available;
}

std::string check_memory(const MemoryEstimate& estimate, int64_t available, bool force) {
  const std::string needs =
      fmt::format("an estimated {} (weights {}, trainable state {}, activations {})",
                  format_bytes(estimate.total), format_bytes(estimate.weights),
                  format_bytes(estimate.trainable_state), format_bytes(estimate.activations));
  if (estimate.total <= available) {
    return fmt::format("memory: {} of {} available", needs, format_bytes(available));
  }
  if (!force) {
    fail(
        "training needs {} but the machine has {} available; lower training.batch_size or "
        "data.seq_len, or set force: true",
        needs, format_bytes(available));
  }
  return fmt::format("memory: {} exceeds the {} available; starting anyway (force: true)", needs,
                     format_bytes(available));
}

}  // namespace retune::train
