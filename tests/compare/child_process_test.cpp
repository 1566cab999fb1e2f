// Child processes: the exit code, the log holding stdout and stderr, the folder it runs in, its
// own peak memory, a death by signal, and a program that cannot start.
#include "compare/child_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::compare {
namespace {

using testing::HasSubstr;

TEST(CompareChildProcess, ReportsTheExitCodeAndLogsBothStreams) {
  TempDir dir;
  const ChildRun run =
      run_child("/bin/sh", {"sh", "-c", "pwd; echo oops >&2; exit 3"}, dir.path(), dir / "log");
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_FALSE(run.succeeded());
  EXPECT_EQ(run.describe_failure(), "exit code 3");
  EXPECT_EQ(read_file(dir / "log"), dir.path().string() + "\noops\n");
  EXPECT_GT(run.wall_seconds, 0);
}

TEST(CompareChildProcess, MeasuresTheChildsOwnPeakMemory) {
  TempDir dir;
  // A 64 MB shell variable: the child's resident set passes it; this process never holds it.
  const ChildRun run =
      run_child("/bin/sh", {"sh", "-c", "x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo ${#x}"},
                dir.path(), dir / "log");
  ASSERT_TRUE(run.succeeded()) << read_file(dir / "log");
  EXPECT_EQ(read_file(dir / "log"), "64000000\n");
  EXPECT_GT(run.peak_rss_bytes, 64'000'000);
}

TEST(CompareChildProcess, ReportsADeathBySignal) {
  TempDir dir;
  const ChildRun run = run_child("/bin/sh", {"sh", "-c", "kill -9 $$"}, dir.path(), dir / "log");
  EXPECT_EQ(run.exit_code, -1);
  EXPECT_EQ(run.signal, 9);
  EXPECT_THAT(run.describe_failure(), HasSubstr("killed by signal 9"));
}

TEST(CompareChildProcess, AProgramThatCannotStartIsAnError) {
  TempDir dir;
  EXPECT_THAT(error_of([&] { run_child(dir / "none", {"none"}, dir.path(), dir / "log"); }),
              HasSubstr((dir / "none").string() + ": cannot start in " + dir.path().string()));
  EXPECT_THAT(error_of([&] { run_child("/bin/true", {"true"}, dir.path(), dir / "no" / "log"); }),
              HasSubstr("/no/log: cannot open for writing"));
}

}  // namespace
}  // namespace retune::compare
