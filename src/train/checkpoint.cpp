#include "train/checkpoint.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/version.h"
#include "io/atomic_file.h"
#include "io/atomic_folder.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "io/temporary_path.h"

namespace retune::train {
namespace {

constexpr const char* kTrainable = "trainable.safetensors";
constexpr const char* kOptimizer = "optimizer.safetensors";
constexpr const char* kState = "trainer_state.json";
constexpr std::string_view kPrefix = "checkpoint-";

// Every tensor of a safetensors file, by name (mmapped views that keep the file open).
NamedTensors read_tensors(const SafetensorsFile& file) {
  NamedTensors tensors;
  for (const std::string& name : file.names()) tensors.emplace_back(name, file.tensor(name));
  return tensors;
}

// The step of a folder named "checkpoint-<step>", if it is one.
std::optional<int64_t> checkpoint_step(const std::string& name) {
  if (!name.starts_with(kPrefix)) return std::nullopt;
  const std::string_view digits = std::string_view(name).substr(kPrefix.size());
  int64_t step = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), step);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  return step;
}

// The checkpoint folders in `output` with their steps, the highest step first.
std::vector<std::pair<int64_t, std::filesystem::path>> checkpoints_newest_first(
    const std::filesystem::path& output) {
  std::vector<std::pair<int64_t, std::filesystem::path>> found;
  if (!std::filesystem::is_directory(output)) return found;
  for (const auto& entry : std::filesystem::directory_iterator(output)) {
    const std::optional<int64_t> step = checkpoint_step(entry.path().filename().string());
    if (step && entry.is_directory()) found.emplace_back(*step, entry.path());
  }
  std::ranges::sort(found, std::greater<>());
  return found;
}

}  // namespace

std::filesystem::path write_checkpoint(const std::filesystem::path& output,
                                       const Checkpoint& checkpoint) {
  const std::filesystem::path path =
      output / (std::string(kPrefix) + std::to_string(checkpoint.step));
  AtomicFolder folder(path);
  write_safetensors(folder / kTrainable, checkpoint.trainable);
  write_safetensors(folder / kOptimizer, checkpoint.optimizer.tensors,
                    {{"steps", std::to_string(checkpoint.optimizer.steps)}});
  const nlohmann::json state = {
      {"step", checkpoint.step},
      {"data_position", {{"epoch", checkpoint.data.epoch}, {"next_row", checkpoint.data.next_row}}},
      {"retune_version", version()},
      {"run", checkpoint.run}};
  const std::string text = state.dump(2) + "\n";
  AtomicFile file(folder / kState);
  file.write(std::as_bytes(std::span(text)));
  file.commit();
  folder.commit();
  return path;
}

Checkpoint read_checkpoint(const std::filesystem::path& folder) {
  const std::filesystem::path state_path = folder / kState;
  const nlohmann::json state = read_json_file(state_path);
  Checkpoint checkpoint;
  try {
    checkpoint.step = state.at("step").get<int64_t>();
    checkpoint.data.epoch = state.at("data_position").at("epoch").get<int64_t>();
    checkpoint.data.next_row = state.at("data_position").at("next_row").get<int64_t>();
    checkpoint.run = state.value("run", nlohmann::json::object());
  } catch (const nlohmann::json::exception& error) {
    fail("{}: not a retune trainer state: {}", state_path.string(), error.what());
  }
  const SafetensorsFile trainable = SafetensorsFile::open(folder / kTrainable);
  checkpoint.trainable = read_tensors(trainable);
  const SafetensorsFile optimizer = SafetensorsFile::open(folder / kOptimizer);
  checkpoint.optimizer.tensors = read_tensors(optimizer);
  const auto steps = optimizer.metadata().find("steps");
  int64_t value = -1;
  if (steps == optimizer.metadata().end() ||
      std::from_chars(steps->second.data(), steps->second.data() + steps->second.size(), value)
              .ec != std::errc()) {
    fail("{}: no \"steps\" in the header's __metadata__", (folder / kOptimizer).string());
  }
  checkpoint.optimizer.steps = value;
  return checkpoint;
}

std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& output) {
  const auto found = checkpoints_newest_first(output);
  if (found.empty()) return std::nullopt;
  return found.front().second;
}

void remove_old_checkpoints(const std::filesystem::path& output, int64_t keep) {
  RETUNE_CHECK(keep >= 1, "remove_old_checkpoints: keep {}, expected at least 1", keep);
  const auto found = checkpoints_newest_first(output);
  for (size_t i = static_cast<size_t>(keep); i < found.size(); ++i) {
    const std::filesystem::path& path = found[i].second;
    remove_stale_temporaries(path);
    const std::filesystem::path doomed = temporary_beside(path);
    if (std::rename(path.c_str(), doomed.c_str()) != 0) {
      fail("{}: cannot remove the old checkpoint (save_total_limit {}): {}", path.string(), keep,
           std::strerror(errno));
    }
    std::error_code ignored;
    std::filesystem::remove_all(doomed, ignored);
  }
  // What killed writes and removals left: `checkpoint-<step>.tmp-<pid>` folders, listed before
  // any is removed.
  std::vector<std::filesystem::path> left;
  for (const auto& entry : std::filesystem::directory_iterator(output)) {
    const std::string name = entry.path().filename().string();
    const size_t temporary = name.find(".tmp-");
    if (name.starts_with(kPrefix) && temporary != std::string::npos) {
      left.push_back(output / name.substr(0, temporary));
    }
  }
  for (const std::filesystem::path& path : left) remove_stale_temporaries(path);
}

}  // namespace retune::train
