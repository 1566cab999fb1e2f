// run_merge: `retune merge` as a library call. Plans the merge (merge/merge_plan.h), then
// streams it: output tensors are merged in parallel (one per thread; each thread holds only its
// tensor's inputs, f32, and its output) from the mmapped inputs and written at their place in
// the output shards as each is done (merge/shard_writer.h). The output folder is written
// atomically (io/atomic_folder.h): the donor's files other than weights (tokenizer, generation
// config, chat template, ...) copied, its config.json with num_hidden_layers (n_layer) set to
// the output's depth and the dtype to out_dtype or dtype when the config names one, and the
// merge config copied as mergekit_config.yml. On any error nothing is left at the path (an
// existing folder there stays as it was).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "merge/merge_config.h"

namespace retune::merge {

struct MergeOptions {
  uint64_t seed = 0;                         // random methods, unless the config sets seed
  uint64_t max_shard_bytes = 5'000'000'000;  // mergekit's and transformers' default (5B)
  // Called after each tensor is written (from one thread at a time).
  std::function<void(size_t done, size_t total, uint64_t bytes_done, uint64_t bytes_total)>
      on_progress;
  std::function<void(const std::string&)> on_warning;  // one line each
};

struct MergeSummary {
  size_t tensors = 0;
  int64_t num_layers = 0;
  uint64_t bytes = 0;  // of tensor data written
  std::vector<std::string> files;
};

MergeSummary run_merge(const MergeConfig& config, const std::filesystem::path& out_folder,
                       const MergeOptions& options);

}  // namespace retune::merge
