// The compare group of a training config: methods and their overrides over the shared base, the
// scored files relative to the file, the overrides every run gets (which `retune train` reads
// back as the file's own settings), and the refusals, each naming its place.
#include "compare/compare_config.h"

#include <gtest/gtest.h>

#include <string>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::compare {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBase =
    "model: m\n"
    "output: out\n"
    "data: {train: data/train.jsonl, seq_len: 48}\n"
    "lora: {r: 8, alpha: 16, target_modules: '.*\\.(q|v)_proj'}\n"
    "training: {steps: 5, lr: 3.0e-3, seed: 7}\n";

class CompareConfigTest : public testing::Test {
 protected:
  CompareConfig load(const std::string& compare_group,
                     const std::vector<std::string>& overrides = {}) {
    write_file(file_, kBase + compare_group);
    return load_compare_config(file_, overrides);
  }
  std::string error(const std::string& compare_group) {
    return error_of([&] { load(compare_group); });
  }

  TempDir dir_;
  fs::path file_ = dir_ / "compare.yaml";
};

TEST_F(CompareConfigTest, ReadsMethodsOverTheSharedBase) {
  const CompareConfig c = load(
      "compare:\n"
      "  new_task: tests/new.jsonl\n"
      "  retain: [tests/old1.jsonl, tests/old2.jsonl]\n"
      "  repeats: 2\n"
      "  methods:\n"
      "    - name: lora\n"
      "    - {name: dora, set: {lora.use_dora: true}}\n"
      "    - {name: full+l2sp, set: {method: full, forgetting: {l2sp: 0.5}}}\n",
      {"training.steps=3"});
  EXPECT_EQ(c.file, file_);
  EXPECT_EQ(c.new_task, std::vector<fs::path>{dir_ / "tests/new.jsonl"});
  EXPECT_EQ(c.retain,
            (std::vector<fs::path>{dir_ / "tests/old1.jsonl", dir_ / "tests/old2.jsonl"}));
  EXPECT_EQ(c.repeats, 2);
  EXPECT_EQ(c.base.model, dir_ / "m");
  EXPECT_EQ(c.base.training.steps, 3);  // --set changes the base
  ASSERT_EQ(c.methods.size(), 3u);
  EXPECT_EQ(c.methods[0].name, "lora");
  EXPECT_TRUE(c.methods[0].set.empty());
  EXPECT_FALSE(c.methods[0].train.lora.use_dora);
  EXPECT_EQ(c.methods[1].set, std::vector<std::string>{"lora.use_dora=true"});
  EXPECT_TRUE(c.methods[1].train.lora.use_dora);
  EXPECT_EQ(c.methods[1].train.training.steps, 3);
  EXPECT_EQ(c.methods[2].set, (std::vector<std::string>{"method=full", "forgetting={l2sp: 0.5}"}));
  EXPECT_EQ(c.methods[2].train.method, train::TrainMethod::full);
  EXPECT_EQ(c.methods[2].train.forgetting.l2sp, 0.5);
  // The file's keys, then the command line's; the compare group is not among them.
  ASSERT_EQ(c.base_overrides.size(), 6u);
  EXPECT_EQ(c.base_overrides[0], "model=m");
  EXPECT_EQ(c.base_overrides[5], "training.steps=3");
}

TEST_F(CompareConfigTest, RunOverridesGiveTrainTheFilesSettingsAndTheMethods) {
  const CompareConfig c = load(
      "compare:\n"
      "  new_task: new.jsonl\n"
      "  repeats: 3\n"
      "  methods:\n"
      "    - {name: small, set: {lora: {r: 2}, lora.rank_pattern: {v_proj: 4}}}\n");
  const CompareMethod& small = c.methods[0];
  EXPECT_EQ(run_seed(small, 2), 9u);
  const std::vector<std::string> overrides = run_overrides(c, small, "runs/small", 2);
  EXPECT_EQ(overrides.back(), "training.seed=9");
  EXPECT_EQ(overrides[overrides.size() - 2], "output=runs/small");
  // What the child reads from the command line alone, run in the file's folder.
  const train::TrainConfig read = train::load_train_config("/dev/null", overrides);
  EXPECT_EQ(read.model, "m");
  EXPECT_EQ(read.output, "runs/small");
  EXPECT_EQ(read.data.train, std::vector<fs::path>{"data/train.jsonl"});
  EXPECT_EQ(read.data.seq_len, 48);
  EXPECT_EQ(read.training.lr, 3e-3);
  EXPECT_EQ(read.training.steps, 5);
  EXPECT_EQ(read.training.seed, 9u);
  EXPECT_EQ(read.lora.r, 2);
  EXPECT_EQ(read.lora.alpha, 16);  // the group's other keys stay the file's
  EXPECT_EQ(read.lora.target_regex, small.train.lora.target_regex);
  EXPECT_EQ(read.lora.target_regex, std::optional<std::string>(".*\\.(q|v)_proj"));
  EXPECT_EQ(read.lora.rank_pattern, (std::map<std::string, int64_t>{{"v_proj", 4}}));
}

TEST_F(CompareConfigTest, RefusesBadGroupsWithTheirPlace) {
  const std::string f = file_.string();
  const std::string methods = "  methods: [{name: lora}]\n";
  EXPECT_EQ(error(""), f + ": missing required group \"compare\" (a map)");
  EXPECT_EQ(error("compare:\n  new_task: a.jsonl\n  metods: []\n" + methods),
            f + ":8: unknown key \"compare.metods\"; the keys are methods, new_task, repeats, "
                "retain");
  EXPECT_EQ(error("compare:\n" + methods), f + ": missing required key \"compare.new_task\"");
  EXPECT_EQ(error("compare:\n  new_task: a.jsonl\n"),
            f + ": missing required key \"compare.methods\"");
  EXPECT_EQ(error("compare:\n  new_task: a.jsonl\n  methods: []\n"),
            f + ":8: compare.methods must be a list of methods");
  EXPECT_EQ(error("compare:\n  new_task: a.jsonl\n  repeats: 0\n" + methods),
            f + ":8: compare.repeats must be an integer >= 1");
  EXPECT_EQ(error("compare:\n  new_task: [a.jsonl, {x: 1}]\n" + methods),
            f + ":7: compare.new_task must be a path or a list of paths");
}

TEST_F(CompareConfigTest, RefusesBadMethodsNamingThem) {
  const std::string f = file_.string();
  const auto methods = [&](const std::string& list) {
    return error("compare:\n  new_task: a.jsonl\n  methods:\n" + list);
  };
  EXPECT_EQ(methods("    - {set: {lora.r: 4}}\n"), f + ":9: compare.methods[0] has no name");
  EXPECT_EQ(methods("    - {name: a/b}\n"),
            f + ":9: compare.methods[0].name must be a name of letters, digits and . _ + -");
  EXPECT_EQ(methods("    - {name: lora}\n    - {name: x, sett: {}}\n"),
            f + ":10: unknown key \"compare.methods[1].sett\"; the keys are name, set");
  EXPECT_EQ(methods("    - {name: lora}\n    - {name: lora, set: {lora.r: 4}}\n"),
            f + ":10: method name \"lora\" is used twice");
  EXPECT_EQ(methods("    - {name: lora}\n    - {name: dora, set: {lora.use_dorra: true}}\n"),
            f + ":10: compare.methods[1] \"dora\": lora.use_dorra: unknown key; did you mean "
                "lora.use_dora?");
  EXPECT_EQ(methods("    - {name: wet, set: {lora.dropout: 2}}\n"),
            f + ":9: compare.methods[0] \"wet\": lora.dropout must be a number in [0, 1), got "
                "\"2\"");
  EXPECT_EQ(methods("    - {name: other, set: {model: elsewhere}}\n"),
            f + ":9: compare.methods[0] \"other\": model belongs to the comparison (every method "
                "trains the same base into its own folder)");
  EXPECT_EQ(methods("    - {name: x, set: [lora.r]}\n"),
            f + ":9: compare.methods[0].set must be a map of training config keys");
}

TEST_F(CompareConfigTest, CommandLineErrorsStayTheCommandLines) {
  EXPECT_EQ(error_of([&] {
              load("compare:\n  new_task: a.jsonl\n  methods: [{name: lora}]\n",
                   {"training.stepz=2"});
            }),
            "--set training.stepz: unknown key; did you mean training.steps?");
}

}  // namespace
}  // namespace retune::compare
