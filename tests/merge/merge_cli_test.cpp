// `retune merge` end to end: the binary merges a fixture config into a model folder that
// matches the library's output, prints a summary, warns on stderr, and fails with one line
// and exit code 1 on a bad config, leaving nothing behind.
#include <gtest/gtest.h>

#include "io/safetensors_model.h"
#include "merge_test_models.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;

TEST(MergeCli, MergesAFixtureConfig) {
  TempDir dir;
  const RetuneRun run =
      run_retune("merge " + merge_fixture_config("ties").string() + " --out " +
                     (dir / "cli").string() + " --threads 2 --max-shard-size 200K",
                 true);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("ties merge of 21 tensors, 2 layers"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("retune: merged 21/21 tensors"), std::string::npos) << run.out;
  run_merge(read_merge_config(merge_fixture_config("ties")), dir / "lib", {});
  const SafetensorsModel cli = SafetensorsModel::open(dir / "cli");
  const SafetensorsModel lib = SafetensorsModel::open(dir / "lib");
  ASSERT_EQ(cli.names(), lib.names());
  EXPECT_GT(cli.shards().size(), 1u);
  for (const std::string& name : lib.names()) {
    EXPECT_EQ(cli.tensor(name).to_f32_vector(), lib.tensor(name).to_f32_vector()) << name;
  }
}

TEST(MergeCli, WarnsOnStderr) {
  TempDir dir;
  const RetuneRun run = run_retune("merge " + merge_fixture_config("linear_no_normalize").string() +
                                       " --out " + (dir / "out").string(),
                                   true);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("retune: warning: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("the weights sum to 0.8 (not 1)"), std::string::npos) << run.out;
}

TEST(MergeCli, FailsInOneLine) {
  TempDir dir;
  write_file(dir / "bad.yaml", "merge_method: frankenstein\nmodels: [{model: a}]\n");
  const RetuneRun run =
      run_retune("merge " + (dir / "bad.yaml").string() + " --out " + (dir / "out").string(), true);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "retune: error: " + (dir / "bad.yaml").string() +
                         ":1: merge_method \"frankenstein\" is not supported; supported: linear, "
                         "task_arithmetic, ties, dare_linear, dare_ties, breadcrumbs, "
                         "breadcrumbs_ties, della, della_linear, slerp, nuslerp, model_stock, "
                         "passthrough\n");
  EXPECT_FALSE(fs::exists(dir / "out"));
}

}  // namespace
}  // namespace retune::merge
