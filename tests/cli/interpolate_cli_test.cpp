// `retune interpolate` end to end: --alpha --out writes a model folder; --sweep's numbers are
// `retune eval`'s on the folders --alpha writes, in JSON and in the table with the best α within
// a retain budget marked; one-line errors for bad input, with nothing written.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "support/files.h"
#include "support/model_parity.h"
#include "support/perturbed_model.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

const std::string kQa = R"({"prompt": "What is 2 + 3?", "completion": " 5."})"
                        "\n"
                        R"({"prompt": "Name a colour.", "completion": " Red."})"
                        "\n";

std::string adapter_fixture() {
  return (std::filesystem::path(RETUNE_FIXTURES_DIR) / "peft" / "qwen2" / "lora" / "after_3_steps")
      .string();
}

struct SweepFiles {
  TempDir dir;
  std::string base = hf_model_fixture("qwen2").string();
  std::string flags;  // --data, --retain and evaluation flags

  SweepFiles() {
    write_file(dir / "qa.jsonl", kQa);
    write_file(dir / "retain.jsonl", R"({"text": "the quiet river runs past the old mill"})"
                                     "\n");
    flags = " --data " + (dir / "qa.jsonl").string() + " --retain " +
            (dir / "retain.jsonl").string() + " --seq-len 32 --batch-size 2 --threads 1";
  }
};

TEST(InterpolateCli, SweepNumbersAreEvalsOnTheWrittenFolders) {
  SweepFiles files;
  const std::string tuned = (files.dir / "tuned").string();
  write_perturbed_model(files.base, tuned, 5);
  for (const std::string& end : {" --tuned " + tuned, " --adapter " + adapter_fixture()}) {
    const RetuneRun sweep = run_retune("interpolate --model " + files.base + end +
                                       " --sweep 0,0.5,1 --json" + files.flags);
    ASSERT_EQ(sweep.exit_code, 0) << sweep.out;
    const nlohmann::json report = nlohmann::json::parse(sweep.out);
    EXPECT_EQ(report["base"], files.base);
    const std::string key = end.substr(3, end.find(' ', 1) - 3);  // "tuned" or "adapter"
    EXPECT_EQ(report[key], end.substr(end.find(' ', 1) + 1));
    EXPECT_TRUE(report["best_alpha"].is_null());
    ASSERT_EQ(report["points"].size(), 3u);
    for (const nlohmann::json& point : report["points"]) {
      const std::string folder = (files.dir / "out").string();
      const std::string alpha = fmt::format("{}", point["alpha"].get<double>());
      const RetuneRun write = run_retune("interpolate --model " + files.base + end + " --alpha " +
                                         alpha + " --out " + folder);
      ASSERT_EQ(write.exit_code, 0) << write.out;
      EXPECT_EQ(write.out, folder + ": alpha " + alpha + " between " + files.base + " and " +
                               end.substr(end.find(' ', 1) + 1) + "\n");
      const RetuneRun eval =
          run_retune("eval --model " + folder + " --data " + (files.dir / "qa.jsonl").string() +
                     " --data " + (files.dir / "retain.jsonl").string() +
                     " --seq-len 32 --batch-size 2 --json --threads 1");
      ASSERT_EQ(eval.exit_code, 0) << eval.out;
      const nlohmann::json scores = nlohmann::json::parse(eval.out)["files"];
      EXPECT_EQ(point["data"][0]["loss"], scores[0]["loss"]) << end << point["alpha"];
      EXPECT_EQ(point["data"][0]["accuracy"], scores[0]["exact_match"]["accuracy"]);
      EXPECT_EQ(point["retain"][0]["loss"], scores[1]["loss"]);
      EXPECT_TRUE(point["retain"][0]["accuracy"].is_null());
      EXPECT_EQ(point["mean_data_accuracy"], point["data"][0]["accuracy"]);
      EXPECT_EQ(point["mean_retain_loss"], point["retain"][0]["loss"]);
    }
  }
}

TEST(InterpolateCli, TableMarksTheBestWithinTheRetainBudget) {
  SweepFiles files;
  const RetuneRun run =
      run_retune("interpolate --model " + files.base + " --adapter " + adapter_fixture() +
                 " --sweep 0,1 --retain-budget 1000" + files.flags);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out.rfind("new1 = " + (files.dir / "qa.jsonl").string() +
                              "\nretain1 = " + (files.dir / "retain.jsonl").string() +
                              "\n alpha | new1 loss | new1 acc | retain1 loss | retain1 acc | "
                              "new acc | retain acc\n",
                          0),
            0u)
      << run.out;
  EXPECT_NE(run.out.find("\n 0.000 | "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n 1.000 | "), std::string::npos) << run.out;

  const RetuneRun json =
      run_retune("interpolate --model " + files.base + " --adapter " + adapter_fixture() +
                 " --sweep 0,1 --retain-budget 1000 --json" + files.flags);
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["adapter"], adapter_fixture());
  EXPECT_EQ(report["retain_budget"], 1000.0);
  // The table marks the row of the JSON's best α, and only that one.
  const std::string mark = "  <- best within retain budget 1000\n";
  const size_t marked = run.out.find(mark);
  ASSERT_NE(marked, std::string::npos) << run.out;
  EXPECT_EQ(run.out.find(mark, marked + 1), std::string::npos) << run.out;
  const size_t row = run.out.rfind('\n', marked) + 1;
  EXPECT_EQ(run.out.substr(row, 8), fmt::format("{:6.3f} |", report["best_alpha"].get<double>()));
}

TEST(InterpolateCli, RefusesBadInputInOneLineWritingNothing) {
  SweepFiles files;
  const std::string out = (files.dir / "out").string();
  const std::string base = "interpolate --model " + files.base;
  const std::string adapter = " --adapter " + adapter_fixture();
  const auto error = [&](const std::string& args) {
    const RetuneRun run = run_retune(args, true);
    EXPECT_EQ(run.exit_code, 1) << args;
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
    return run.out;
  };
  EXPECT_EQ(error(base + adapter + " --alpha 1.5 --out " + out),
            "retune: error: alpha 1.5 is outside [0, 1]\n");
  EXPECT_EQ(error(base + adapter + " --alpha half --out " + out),
            "retune: error: alpha \"half\" is not a number\n");
  EXPECT_EQ(error(base + adapter + " --sweep 0,x,1" + files.flags),
            "retune: error: alpha \"x\" is not a number\n");
  EXPECT_EQ(error(base + adapter + " --tuned " + files.base + " --alpha 0.5 --out " + out),
            "retune: error: give one of --tuned DIR (a fine-tuned model) and --adapter DIR (a "
            "PEFT adapter)\n");
  EXPECT_EQ(error(base + " --alpha 0.5 --out " + out),
            "retune: error: give one of --tuned DIR (a fine-tuned model) and --adapter DIR (a "
            "PEFT adapter)\n");
  EXPECT_EQ(error(base + adapter + " --out " + out),
            "retune: error: give one of --alpha A (with --out DIR) and --sweep LIST\n");
  EXPECT_EQ(error(base + adapter + " --alpha 0.5"),
            "retune: error: --alpha needs --out DIR, the model folder to write\n");
  EXPECT_EQ(error(base + adapter + " --alpha 0.5 --out " + out + " --json"),
            "retune: error: --data, --retain, --retain-budget and --json go with --sweep, not "
            "--alpha\n");
  EXPECT_EQ(error(base + adapter + " --sweep 0,1 --out " + out + files.flags),
            "retune: error: --out writes the model at one --alpha, not a --sweep\n");
  EXPECT_EQ(error(base + adapter + " --sweep 0,1 --retain " + (files.dir / "qa.jsonl").string()),
            "retune: error: --sweep needs the new task's files: --data FILE\n");
  EXPECT_EQ(error(base + adapter + " --sweep 0,1 --data " + (files.dir / "qa.jsonl").string()),
            "retune: error: --sweep needs retain files: --retain FILE\n");
  EXPECT_EQ(error(base + adapter + " --sweep 0.5,1 --retain-budget 0.1" + files.flags),
            "retune: error: --retain-budget is measured from alpha 0: put 0 in --sweep\n");
  EXPECT_EQ(error(base + adapter + " --sweep 0,1 --retain-budget -1" + files.flags),
            "retune: error: --retain-budget must be >= 0, got -1\n");
  EXPECT_EQ(error(base + adapter + " --sweep 0,1 --data " + (files.dir / "qa.jsonl").string() +
                  " --retain " + (files.dir / "retain.jsonl").string() + " --seq-len 1"),
            "retune: error: --seq-len must be at least 2, got 1\n");

  const std::string none = (files.dir / "none").string();
  const std::string missing = error(base + " --tuned " + none + " --alpha 0.5 --out " + out);
  EXPECT_EQ(missing.rfind("retune: error: " + none, 0), 0u) << missing;
  EXPECT_EQ(std::count(missing.begin(), missing.end(), '\n'), 1);
  const std::string tied = hf_model_fixture("llama_tied").string();
  EXPECT_EQ(error("interpolate --model " + hf_model_fixture("llama_gqa_untied").string() +
                  " --tuned " + tied + " --alpha 0.5 --out " + out),
            "retune: error: " + tied +
                ": weight model.layers.0.self_attn.k_proj.weight of shape [16, 64], but the base " +
                hf_model_fixture("llama_gqa_untied").string() + " has shape [32, 64]\n");
  const std::string other_base = error("interpolate --model " + hf_model_fixture("gpt2").string() +
                                       adapter + " --alpha 0.5 --out " + out);
  EXPECT_EQ(other_base.rfind("retune: error: " + adapter_fixture(), 0), 0u) << other_base;
  EXPECT_EQ(std::count(other_base.begin(), other_base.end(), '\n'), 1);
}

}  // namespace
}  // namespace retune
