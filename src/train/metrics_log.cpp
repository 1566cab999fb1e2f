#include "train/metrics_log.h"

#include <span>
#include <string>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/file_contents.h"

namespace retune::train {
namespace {

// The complete lines of `text` (ending in '\n', holding a JSON object) whose "step" is at most
// `last_step`, up to the first that is not: what a run killed after that step had logged.
std::string lines_up_to(const std::string& text, int64_t last_step) {
  std::string kept;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = text.substr(start, end - start);
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_object() || !entry.contains("step") || !entry["step"].is_number_integer() ||
        entry["step"].get<int64_t>() > last_step) {
      break;
    }
    kept += line + '\n';
  }
  return kept;
}

}  // namespace

MetricsLog::MetricsLog(const std::filesystem::path& path, std::optional<int64_t> resumed_step)
    : path_(path) {
  if (resumed_step) {
    const std::string kept = std::filesystem::exists(path)
                                 ? lines_up_to(read_text_file(path), *resumed_step)
                                 : std::string();
    AtomicFile file(path);
    file.write(std::as_bytes(std::span(kept)));
    file.commit();
  }
  out_.open(path, resumed_step ? std::ios::app : std::ios::trunc);
  if (!out_) fail("{}: cannot open for writing", path.string());
}

void MetricsLog::write(const nlohmann::json& line) {
  out_ << line.dump() << '\n';
  out_.flush();
  if (!out_) fail("{}: cannot write", path_.string());
}

}  // namespace retune::train
