// `retune analyze graft` end to end on a model with planted changes: the JSON report, the table,
// the graft folder --out writes (it loads, `retune eval` gives it the reported loss, its mask is
// LT-SFT's format), and one-line errors with no folder for bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "support/files.h"
#include "support/model_parity.h"
#include "support/planted_model.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"
#include "train/sparse_update.h"

namespace retune {
namespace {

namespace fs = std::filesystem;

const std::string kBase = hf_model_fixture("llama_tied").string();

class GraftCli : public ::testing::Test {
 protected:
  void SetUp() override {
    write_planted_model(kBase, dir_ / "tuned",
                        {{"model.layers.0.self_attn.q_proj.weight", 70, 0.9F},
                         {"model.layers.1.mlp.down_proj.weight", 1000, -0.8F},
                         {"model.layers.0.mlp.up_proj.weight", 5, 0.7F}});
    write_file(dir_ / "qa.jsonl", R"({"prompt": "What is 2 + 3?", "completion": " 5."})"
                                  "\n"
                                  R"({"prompt": "Say hi.", "completion": " hi"})"
                                  "\n");
    inputs_ = "analyze graft --base " + kBase + " --tuned " + (dir_ / "tuned").string() +
              " --data " + (dir_ / "qa.jsonl").string() + " --seq-len 32 --threads 1";
  }

  TempDir dir_;
  std::string inputs_;
};

TEST_F(GraftCli, ReportsTheScoresAndWritesTheGraft) {
  const std::string out = (dir_ / "graft").string();
  const RetuneRun run = run_retune(inputs_ + " --sparsity 0.00004 --epochs 2 --json --out " + out);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const nlohmann::json report = nlohmann::json::parse(run.out);
  EXPECT_EQ(report["base"], kBase);
  EXPECT_EQ(report["epochs"], 2);
  EXPECT_EQ(report["lr"], 1e7);
  EXPECT_EQ(report["batches"], 1);
  const int64_t entries = report["grafted_entries"];
  EXPECT_EQ(entries, 2 * (2 * 64 * 64 + 2 * 16 * 64 + 3 * 128 * 64));  // q, o; k, v; MLP
  EXPECT_EQ(report["base_patch_entries"], 3);  // round(4e-5 · 69632): the planted entries
  EXPECT_DOUBLE_EQ(report["grafted_fraction"].get<double>(),
                   report["graft_entries"].get<double>() / static_cast<double>(entries));
  EXPECT_EQ(report["epoch_losses"].size(), 2u);
  for (const char* model : {"pre", "tuned", "base_patch", "graft"}) {
    EXPECT_TRUE(report["scores"][model]["loss"].is_number()) << model;
    EXPECT_TRUE(report["scores"][model]["accuracy"].is_number()) << model;
  }
  for (const char* graft : {"base_patch", "graft"}) {
    EXPECT_TRUE(report["recovered"][graft]["loss"].is_number()) << graft;
  }

  // The folder loads, and `retune eval` scores it as the report did.
  const RetuneRun eval = run_retune("eval --model " + out + " --data " +
                                    (dir_ / "qa.jsonl").string() + " --seq-len 32 --json");
  ASSERT_EQ(eval.exit_code, 0) << eval.out;
  const nlohmann::json scored = nlohmann::json::parse(eval.out);
  EXPECT_NEAR(scored["files"][0]["loss"].get<double>(),
              report["scores"]["graft"]["loss"].get<double>(), 1e-9);
  int64_t ones = 0;
  for (const auto& [name, indices] : train::read_mask(fs::path(out) / "mask.safetensors")) {
    EXPECT_TRUE(train::sparse_maskable(name)) << name;
    ones += indices.numel();
  }
  EXPECT_EQ(ones, report["graft_entries"].get<int64_t>());

  const RetuneRun table = run_retune(inputs_ + " --sparsity 0.00004 --epochs 0");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_EQ(table.out.rfind("grafted: 3 of " + std::to_string(entries) + " entries", 0), 0u)
      << table.out;
  EXPECT_NE(table.out.find("\ngraft "), std::string::npos) << table.out;
}

TEST_F(GraftCli, BadInputIsOneLineErrorsAndNoFolder) {
  const std::string out = (dir_ / "graft").string();
  const auto error = [&](const std::string& args) {
    const RetuneRun run = run_retune(args + " --out " + out, true);
    EXPECT_EQ(run.exit_code, 1) << run.out;
    EXPECT_FALSE(fs::exists(out)) << args;
    EXPECT_EQ(run.out.find('\n'), run.out.size() - 1) << run.out;
    return run.out;
  };
  EXPECT_EQ(error(inputs_ + " --sparsity 0"),
            "retune: error: --sparsity must be in (0, 1], got 0\n");
  EXPECT_EQ(error(inputs_ + " --sparsity 1.5"),
            "retune: error: --sparsity must be in (0, 1], got 1.5\n");
  EXPECT_EQ(error(inputs_ + " --epochs -1"), "retune: error: --epochs must be >= 0, got -1\n");
  const std::string other = hf_model_fixture("llama_gqa_untied").string();
  EXPECT_NE(error("analyze graft --base " + kBase + " --tuned " + other + " --data " +
                  (dir_ / "qa.jsonl").string())
                .find(other),
            std::string::npos);
  const std::string missing = (dir_ / "none.jsonl").string();
  EXPECT_NE(error("analyze graft --base " + kBase + " --tuned " + (dir_ / "tuned").string() +
                  " --data " + missing)
                .find(missing),
            std::string::npos);
  // No --data at all: CLI11's usage error, as for every command's missing required flag.
  const RetuneRun usage = run_retune(
      "analyze graft --base " + kBase + " --tuned " + (dir_ / "tuned").string() + " --out " + out,
      true);
  EXPECT_NE(usage.exit_code, 0);
  EXPECT_EQ(usage.out.rfind("--data is required", 0), 0u) << usage.out;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace retune
