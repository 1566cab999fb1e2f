// `retune merge-adapters` end to end: a cat merge of the three fixture adapters writes PEFT's
// values and a folder `retune generate` runs with; dare_ties with one --seed writes the same
// file twice and another seed a different one; bad flags are one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "io/safetensors_file.h"
#include "merge/adapter_merge_fixtures.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

namespace fs = std::filesystem;
using merge::adapter_merge_fixture;
using merge::adapter_merge_input;

std::string adapters(std::initializer_list<const char*> names) {
  std::string flags;
  for (const char* name : names) flags += " --adapter " + adapter_merge_input(name).string();
  return flags;
}

TEST(MergeAdaptersCli, CatWritesPeftsAdapterThatRuns) {
  TempDir dir;
  const std::string out = (dir / "cat").string();
  const RetuneRun run = run_retune("merge-adapters" + adapters({"a", "b", "c"}) +
                                   " --weights 1,0.5,-0.8 --combination cat --out " + out);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out, out + ": cat of 3 adapters, 14 modules, rank 10\n");
  // cat is exact: PEFT's f32 values (its unused rows are ±0: PEFT zeroes them by multiplying its
  // random initialisation by 0).
  const SafetensorsFile ours = SafetensorsFile::open(dir / "cat/adapter_model.safetensors");
  const SafetensorsFile peft =
      SafetensorsFile::open(adapter_merge_fixture("cat") / "adapter_model.safetensors");
  ASSERT_EQ(ours.names(), peft.names());
  for (const std::string& name : ours.names()) {
    EXPECT_EQ(ours.tensor(name).to_f32_vector(), peft.tensor(name).to_f32_vector()) << name;
  }
  const RetuneRun generate =
      run_retune("generate --model " + hf_model_fixture("qwen2").string() + " --adapter " + out +
                 " --prompt Hi --max-new-tokens 2 --greedy");
  EXPECT_EQ(generate.exit_code, 0) << generate.out;
}

TEST(MergeAdaptersCli, DareSeedReproduces) {
  TempDir dir;
  const auto merge = [&](const std::string& name, int seed) {
    const RetuneRun run = run_retune("merge-adapters" + adapters({"a", "b"}) +
                                     " --weights 0.7,0.5 --combination dare_ties --density 0.4 "
                                     "--majority-sign-method frequency --threads 2 --seed " +
                                     std::to_string(seed) + " --out " + (dir / name).string());
    EXPECT_EQ(run.exit_code, 0) << run.out;
    return read_file(dir / name / "adapter_model.safetensors");
  };
  const std::string first = merge("first", 3);
  EXPECT_EQ(merge("again", 3), first);
  EXPECT_NE(merge("other", 4), first);
}

TEST(MergeAdaptersCli, BadFlagsAreOneLineErrors) {
  TempDir dir;
  const std::string out = (dir / "merged").string();
  const auto error = [&](const std::string& flags) {
    const RetuneRun run =
        run_retune("merge-adapters" + adapters({"a", "b"}) + flags + " --out " + out, true);
    EXPECT_EQ(run.exit_code, 1) << run.out;
    EXPECT_FALSE(fs::exists(out));
    return run.out;
  };
  EXPECT_EQ(error(" --weights 1,1 --combination ties --density 0"),
            "retune: error: density must be in (0, 1], got 0\n");
  EXPECT_EQ(error(" --weights 1 --combination linear"),
            "retune: error: --weights has 1 values for 2 adapters\n");
  EXPECT_EQ(error(" --weights 1,1 --combination karcher"),
            "retune: error: combination \"karcher\" is not supported; supported: linear, cat, "
            "svd, ties, ties_svd, dare_linear, dare_linear_svd, dare_ties, dare_ties_svd, "
            "magnitude_prune, magnitude_prune_svd\n");
}

}  // namespace
}  // namespace retune
