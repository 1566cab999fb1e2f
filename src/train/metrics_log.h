// MetricsLog: a run's metrics.jsonl, one JSON object per line ({"step", ...}), written as the run
// goes and flushed line by line.
//
// A resumed run continues the log of the run it resumes: the lines that run wrote after its
// checkpoint (the steps the resumed run does again) and a last line a kill cut short are dropped
// first, so the log holds every step once, in order, whatever the kills before.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

namespace retune::train {

class MetricsLog {
 public:
  // A new log at `path` (replacing one there), or, with `resumed_step`, the existing one cut
  // back to the lines of steps up to resumed_step. Throws an Error when it cannot be written.
  MetricsLog(const std::filesystem::path& path, std::optional<int64_t> resumed_step);

  // Appends the line and flushes it.
  void write(const nlohmann::json& line);

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

}  // namespace retune::train
