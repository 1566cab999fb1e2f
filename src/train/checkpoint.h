// Checkpoints of a training run: everything a resumed run needs to continue exactly where the
// last one stopped. Each is a folder `<output>/checkpoint-<step>` written atomically (a run
// killed while writing leaves the previous checkpoints and no partial folder):
//   trainable.safetensors   the trained tensors by name (adapter keys or base weight names), f32
//   optimizer.safetensors   the optimizer's state tensors; __metadata__ "steps"
//   trainer_state.json      {"step", "data_position": {"epoch", "next_row"}, "retune_version",
//                            "run": the caller's own state (JSON)}
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "data/batch_stream.h"
#include "io/safetensors_writer.h"
#include "train/optimizer.h"

namespace retune::train {

struct Checkpoint {
  int64_t step = 0;                               // optimizer steps done
  DataPosition data;                              // where the next batch starts
  NamedTensors trainable;                         // CPU tensors; read back as mmapped f32 views
  OptimizerState optimizer;                       // read back as mmapped views
  nlohmann::json run = nlohmann::json::object();  // the caller's own state
};

// Writes `<output>/checkpoint-<step>` (replacing one of the same step); returns its path.
std::filesystem::path write_checkpoint(const std::filesystem::path& output,
                                       const Checkpoint& checkpoint);

// Reads a checkpoint folder; an Error names the file and what is missing or wrong.
Checkpoint read_checkpoint(const std::filesystem::path& folder);

// The checkpoint of the highest step in `output`, if there is one.
std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& output);

// Removes every checkpoint in `output` but the `keep` (>= 1) of the highest steps (Hugging Face's
// save_total_limit). Each goes to its temporary name (io/temporary_path.h) before it is removed,
// so that a run killed meanwhile leaves whole checkpoint-<step> folders only; the leftovers of
// killed writes and removals (of processes that no longer run) are removed too. An Error names a
// folder that cannot be moved.
void remove_old_checkpoints(const std::filesystem::path& output, int64_t keep);

}  // namespace retune::train
