#include "train/lt_sft_run.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/file_contents.h"
#include "io/safetensors_writer.h"
#include "model/causal_lm.h"
#include "model/trainable_weights.h"
#include "train/sparse_update.h"

namespace retune::train {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The K of the config over the maskable weights of `base`.
int64_t entries_to_keep(const SparseSettings& sparse, const NamedTensors& base) {
  if (sparse.count > 0) return sparse.count;
  int64_t maskable = 0;
  for (const auto& [name, weight] : base) {
    if (sparse_maskable(name)) maskable += weight.numel();
  }
  return std::max<int64_t>(1, std::llround(sparse.fraction * static_cast<double>(maskable)));
}

}  // namespace

TrainSummary run_lt_sft(const TrainConfig& config, bool resume, const RunEvents& events) {
  const auto note = [&](const std::string& line) {
    if (events.note) events.note(line);
  };
  TrainConfig dense = config;
  dense.output = config.output / "dense";
  if (config.sparse.dense_steps > 0) dense.training.steps = config.sparse.dense_steps;
  const bool dense_done = resume && fs::exists(dense.output / "summary.json");
  if (dense_done) {
    note(fmt::format("lt_sft: the dense phase is done ({})", dense.output.string()));
  } else {
    note("lt_sft: the dense phase");
    run_training_phase(dense, resume, events);
  }

  const fs::path mask_file = config.output / "mask.safetensors";
  if (!resume || !fs::exists(mask_file)) {
    const std::unique_ptr<model::CausalLm> base = model::load_causal_lm(config.model);
    const std::unique_ptr<model::CausalLm> tuned = model::load_causal_lm(dense.output / "model");
    const NamedTensors base_weights = model::named_weights(*base);
    const int64_t k = entries_to_keep(config.sparse, base_weights);
    write_safetensors(mask_file, top_k_mask(base_weights, model::named_weights(*tuned), k), {});
    note(fmt::format("lt_sft: the {} entries that moved most are kept", k));
  }

  TrainConfig sparse = config;
  sparse.output = config.output / "sparse";
  sparse.sparse.mask = mask_file;
  note("lt_sft: the sparse phase, from the base again");
  TrainSummary summary = run_training_phase(sparse, resume, events);

  const json both = {{"method", "lt_sft"},
                     {"entries", summary.trainable_parameters},
                     {"dense", read_json_file(dense.output / "summary.json")},
                     {"sparse", read_json_file(sparse.output / "summary.json")},
                     {"output", summary.output.string()}};
  const std::string text = both.dump(2) + "\n";
  AtomicFile file(config.output / "summary.json");
  file.write(std::as_bytes(std::span(text)));
  file.commit();
  return summary;
}

}  // namespace retune::train
