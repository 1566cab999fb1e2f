// metrics.jsonl across a resume: the lines after the checkpoint's step, and a line a kill cut
// short, are dropped before the resumed run appends; a new run starts the log afresh.
#include "train/metrics_log.h"

#include <gtest/gtest.h>

#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::train {
namespace {

TEST(MetricsLog, AResumedLogKeepsTheStepsUpToItsCheckpoint) {
  TempDir dir;
  const auto path = dir / "metrics.jsonl";
  write_file(
      path,
      "{\"step\":0,\"eval_loss\":2.5}\n{\"loss\":2.0,\"step\":1}\n{\"loss\":1.5,\"step\":2}\n"
      "{\"loss\":1.2,\"step\":3}\n{\"loss\":1.1,\"st");
  {
    MetricsLog log(path, 2);
    log.write({{"step", 3}, {"loss", 1.25}});
  }
  EXPECT_EQ(read_file(path),
            "{\"step\":0,\"eval_loss\":2.5}\n{\"loss\":2.0,\"step\":1}\n{\"loss\":1.5,\"step\":2}\n"
            "{\"loss\":1.25,\"step\":3}\n");
}

TEST(MetricsLog, AResumedLogWithoutAFileStartsOne) {
  TempDir dir;
  MetricsLog(dir / "metrics.jsonl", 4).write({{"step", 5}});
  EXPECT_EQ(read_file(dir / "metrics.jsonl"), "{\"step\":5}\n");
}

TEST(MetricsLog, ANewLogReplacesTheOldOne) {
  TempDir dir;
  write_file(dir / "metrics.jsonl", "{\"step\":1}\n");
  MetricsLog(dir / "metrics.jsonl", std::nullopt).write({{"step", 1}, {"loss", 3.0}});
  EXPECT_EQ(read_file(dir / "metrics.jsonl"), "{\"loss\":3.0,\"step\":1}\n");
}

}  // namespace
}  // namespace retune::train
