#include "tasks/task_generation.h"

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <variant>

#include "core/error.h"
#include "core/rng.h"
#include "io/atomic_file.h"
#include "tasks/task_catalog.h"

namespace retune::tasks {
namespace {

// The options' lengths with the task's defaults filled in, checked against what it allows.
LengthRange resolved_lengths(const TaskInfo& task, const TaskOptions& options) {
  const LengthRange lengths{options.min_len != 0 ? options.min_len : task.default_lengths.min,
                            options.max_len != 0 ? options.max_len : task.default_lengths.max};
  const LengthRange& allowed = task.allowed_lengths;
  for (const int64_t length : {lengths.min, lengths.max}) {
    RETUNE_CHECK(allowed.min <= length && length <= allowed.max,
                 "task {}: length {} is outside {}..{} ({})", task.name, length, allowed.min,
                 allowed.max, task.length_unit);
  }
  RETUNE_CHECK(lengths.min <= lengths.max,
               "task {}: min length {} is greater than max length {} (defaults {}..{})", task.name,
               lengths.min, lengths.max, task.default_lengths.min, task.default_lengths.max);
  return lengths;
}

// The generator's seed: the user's seed and the task's name, so that two tasks generated with
// one seed draw unrelated instances.
uint64_t task_seed(uint64_t seed, std::string_view name) {
  uint64_t hash = mix64(seed);
  for (const char c : name) hash = mix64(hash ^ static_cast<unsigned char>(c));
  return hash;
}

}  // namespace

std::vector<Example> generate_task(std::string_view name, const TaskOptions& options) {
  const TaskDefinition& task = find_task(name);
  RETUNE_CHECK(options.n >= 1, "task {}: the number of examples must be at least 1, got {}", name,
               options.n);
  const LengthRange lengths = resolved_lengths(task.info, options);
  Rng rng(task_seed(options.seed, name));
  std::vector<Example> examples;
  int64_t misses = 0;
  while (static_cast<int64_t>(examples.size()) < options.n) {
    PromptCompletion instance = task.draw(rng, lengths);
    instance.prompt = task.info.tag + " " + instance.prompt;
    if (split_of(name, instance.prompt) != options.split) {
      RETUNE_CHECK(++misses < kMaxConsecutiveMisses,
                   "task {}: no {} instance with lengths {}..{} in {} draws; allow longer ones",
                   name, split_name(options.split), lengths.min, lengths.max,
                   kMaxConsecutiveMisses);
      continue;
    }
    misses = 0;
    examples.push_back({fmt::format("{}:{}", name, examples.size() + 1), std::move(instance)});
  }
  return examples;
}

void write_task_jsonl(const std::vector<Example>& examples, const std::filesystem::path& path) {
  std::string text;
  for (const Example& example : examples) {
    const auto* pair = std::get_if<PromptCompletion>(&example.content);
    RETUNE_CHECK(pair, "{}: writing {}: only prompt/completion examples can be written",
                 example.source, path.string());
    nlohmann::ordered_json line = {{"prompt", pair->prompt}, {"completion", pair->completion}};
    text += line.dump() + "\n";
  }
  AtomicFile file(path);
  file.write(std::as_bytes(std::span(text)));
  file.commit();
}

}  // namespace retune::tasks
