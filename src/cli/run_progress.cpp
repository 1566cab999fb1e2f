#include "cli/run_progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace retune::cli {

std::string duration(double seconds) {
  const auto total = static_cast<int64_t>(seconds + 0.5);
  return total >= 3600 ? fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60)
                       : fmt::format("{}:{:02}", total / 60, total % 60);
}

train::RunEvents progress_events(int64_t log_every) {
  const bool terminal = ::isatty(::fileno(stderr)) != 0;
  // Per run: the time and steps so far (a run starts again at its first step).
  struct Pace {
    double elapsed = 0;
    int64_t done = 0;
  };
  auto pace = std::make_shared<Pace>();
  train::RunEvents events;
  events.note = [terminal](const std::string& line) {
    fmt::print(stderr, "{}retune: {}\n", terminal ? "\r\033[K" : "", line);
  };
  events.step = [terminal, log_every, pace](const train::StepReport& report, int64_t total) {
    if (pace->done > 0 && report.step == 1) *pace = Pace{};
    pace->elapsed += report.seconds;
    ++pace->done;
    const double tokens_per_second = static_cast<double>(report.tokens) / report.seconds;
    const double left =
        pace->elapsed / static_cast<double>(pace->done) * static_cast<double>(total - report.step);
    const std::string line = fmt::format(
        "step {}/{} | loss {:.4f} | lr {:.3g} | grad norm {:.3g} | {:.0f} tokens/s | "
        "{} left{}",
        report.step, total, report.loss, report.lr, report.grad_norm, tokens_per_second,
        duration(left), report.skipped ? " | skipped" : "");
    if (terminal) {
      fmt::print(stderr, "\r\033[K{}", line);
      if (report.step == total) fmt::print(stderr, "\n");
    } else if (report.step % std::max<int64_t>(log_every, 1) == 0 || report.step == total) {
      fmt::print(stderr, "retune: {}\n", line);
    }
  };
  return events;
}

}  // namespace retune::cli
