// Data sets of a procedural task (task_catalog.h): n random instances of one split, from a seed.
//
// Generation draws instances independently (with replacement) from an Rng seeded by the seed and
// the task's name, each length uniform in [min_len, max_len], and keeps those whose prompt
// belongs to the requested split (task_split.h). So:
//   - the same (name, options) gives the same examples, byte for byte, on every machine;
//   - a train set and a test set never share a prompt, whatever their seeds;
//   - a small instance space gives repeated instances within a split (parity of 2 bits has four
//     prompts); a split with no instance at the requested lengths fails with an Error after
//     kMaxConsecutiveMisses draws in a row fall in the other split, instead of looping forever.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "data/dataset_file.h"
#include "tasks/task_split.h"

namespace retune::tasks {

inline constexpr int64_t kMaxConsecutiveMisses = 100000;

struct TaskOptions {
  int64_t n = 0;  // examples, at least 1
  uint64_t seed = 0;
  Split split = Split::train;
  int64_t min_len = 0;  // 0: the task's default; otherwise within its allowed lengths
  int64_t max_len = 0;  // 0: the task's default; at least min_len once defaults are filled in
};

// `options.n` examples of task `name`, PromptCompletion each with the tag-led prompt; the source
// of example i (from 1) is "{name}:{i}". Throws an Error for an unknown name, n < 1, a length
// outside the task's allowed range, min_len > max_len, or a split without an instance.
std::vector<Example> generate_task(std::string_view name, const TaskOptions& options);

// Writes prompt/completion examples as JSONL, one {"prompt": ..., "completion": ...} object a
// line (read_examples reads them back), atomically. An Error for another kind of example.
void write_task_jsonl(const std::vector<Example>& examples, const std::filesystem::path& path);

}  // namespace retune::tasks
