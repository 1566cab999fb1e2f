// `retune eval` end to end: the JSON report per file (its loss is evaluate_loss's), lines without
// --json, and one-line errors for bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "core/device.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

const std::string kQa = R"({"prompt": "What is 2 + 3?", "completion": " 5."})"
                        "\n"
                        R"({"prompt": "Name a colour.", "completion": " Red."})"
                        "\n";

TEST(EvalCli, ReportsEachFileAsJson) {
  TempDir dir;
  write_file(dir / "qa.jsonl", kQa);
  write_file(dir / "text.jsonl", R"({"text": "one two three four"})"
                                 "\n");
  const std::string model = hf_model_fixture("qwen2").string();
  const RetuneRun run =
      run_retune("eval --model " + model + " --data " + (dir / "qa.jsonl").string() + " --data " +
                 (dir / "text.jsonl").string() + " --json --threads 1");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const nlohmann::json report = nlohmann::json::parse(run.out);
  EXPECT_EQ(report["model"], model);
  EXPECT_TRUE(report["adapter"].is_null());
  ASSERT_EQ(report["files"].size(), 2u);
  const nlohmann::json& qa = report["files"][0];
  EXPECT_EQ(qa["examples"], 2);
  EXPECT_GT(qa["tokens"].get<int64_t>(), 2);  // the completions' tokens and their eos
  EXPECT_NEAR(qa["perplexity"].get<double>(), std::exp(qa["loss"].get<double>()), 1e-9);
  EXPECT_EQ(qa["exact_match"]["scored"], 2);
  const nlohmann::json& text = report["files"][1];
  EXPECT_TRUE(text["exact_match"].is_null());
  EXPECT_GT(text["loss"].get<double>(), 0.0);

  const RetuneRun lines = run_retune("eval --model " + model + " --data " +
                                     (dir / "qa.jsonl").string() + " --no-exact-match");
  ASSERT_EQ(lines.exit_code, 0);
  EXPECT_EQ(lines.out.rfind((dir / "qa.jsonl").string() + ": loss ", 0), 0u) << lines.out;
  EXPECT_EQ(lines.out.find("exact match"), std::string::npos);
}

TEST(EvalCli, RefusesBadInputInOneLine) {
  TempDir dir;
  write_file(dir / "bad.jsonl", "{\"prompt\": \"x\"}\n");
  const std::string model = " --model " + hf_model_fixture("qwen2").string();
  const auto error = [](const RetuneRun& run) {
    EXPECT_EQ(run.exit_code, 1);
    return run.out;
  };
  EXPECT_EQ(error(run_retune("eval" + model + " --data " + (dir / "none.jsonl").string(), true)),
            "retune: error: " + (dir / "none.jsonl").string() +
                ": cannot open: No such file or directory\n");
  EXPECT_EQ(
      error(run_retune("eval" + model + " --data " + (dir / "bad.jsonl").string(), true)),
      "retune: error: " + (dir / "bad.jsonl").string() + ":1: field \"completion\" is missing\n");
  write_file(dir / "qa.jsonl", kQa);
  EXPECT_EQ(
      error(run_retune(
          "eval" + model + " --data " + (dir / "qa.jsonl").string() + " --normalize upper", true)),
      "retune: error: unknown normaliser \"upper\" (expected none, strip, lowercase or "
      "strip,lowercase)\n");
  const std::string qa = "eval" + model + " --data " + (dir / "qa.jsonl").string();
  EXPECT_EQ(error(run_retune(qa + " --seq-len 1", true)),
            "retune: error: --seq-len must be at least 2, got 1\n");
  const std::string gpt2 = hf_model_fixture("gpt2").string();
  EXPECT_EQ(error(run_retune("eval --model " + gpt2 + " --data " + (dir / "qa.jsonl").string() +
                                 " --seq-len 129",
                             true)),
            "retune: error: --seq-len 129 exceeds the 128 learned positions of " + gpt2 +
                " (n_positions)\n");
  EXPECT_EQ(error(run_retune(qa + " --batch-size 0", true)),
            "retune: error: --batch-size must be at least 1, got 0\n");
  EXPECT_EQ(error(run_retune(qa + " --max-new-tokens -1", true)),
            "retune: error: --max-new-tokens must be >= 0, got -1\n");
  EXPECT_EQ(error(run_retune(qa + " --device tpu", true)),
            "retune: error: unknown device 'tpu': expected cpu, cuda or cuda:N\n");
  // Exact match runs on a GPU too: it fails only for want of the device.
  const RetuneRun exact = run_retune(qa + " --device cuda:7", true);
  EXPECT_NE(exact.exit_code, 0);
  EXPECT_TRUE(refused_for_want_of(exact.out, "cuda:7")) << exact.out;
  // GPT-2 runs on a GPU too: it fails only for want of the device.
  const RetuneRun on_gpt2 =
      run_retune("eval --model " + gpt2 + " --data " + (dir / "qa.jsonl").string() +
                     " --seq-len 128 --device cuda:7",
                 true);
  EXPECT_NE(on_gpt2.exit_code, 0);
  EXPECT_TRUE(refused_for_want_of(on_gpt2.out, "cuda:7")) << on_gpt2.out;
  const std::string fixtures = std::string(RETUNE_FIXTURES_DIR);
  // Every adapter method runs there: DoRA, (IA)³ and Poly adapters fail only for want of the
  // device.
  for (const std::string& source :
       {model + " --adapter " + fixtures + "/peft/qwen2/dora/initial",
        model + " --adapter " + fixtures + "/peft_methods/qwen2/ia3/adapter",
        " --model " + hf_model_fixture("llama_gqa_untied").string() + " --adapter " + fixtures +
            "/peft_methods/llama_gqa_untied/poly/adapter"}) {
    const RetuneRun run = run_retune("eval" + source + " --data " + (dir / "qa.jsonl").string() +
                                         " --no-exact-match --device cuda:7",
                                     true);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_TRUE(refused_for_want_of(run.out, "cuda:7")) << source << ": " << run.out;
  }
}

// --device cuda: the losses a GPU gives are the CPU's within bf16 tolerance, with or without a
// LoRA or DoRA adapter (`retune train` made on the CPU) or PEFT's (IA)³ one, and exact match
// scores the same pairs there (greedy completions generated on the GPU); GPT-2's too.
TEST(EvalCli, GpuScoresAsTheCpuDoes) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  TempDir dir;
  write_file(dir / "qa.jsonl", kQa);
  const std::string model = hf_model_fixture("qwen2").string();
  const RetuneRun train = run_retune(
      "train " + std::string(RETUNE_FIXTURES_DIR) +
          "/../../examples/lora-chat.yaml --set model=" + model +
          " --set training.steps=4 --set data.eval=[] --set output=" + (dir / "run").string(),
      true);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  const RetuneRun dora =
      run_retune("train " + std::string(RETUNE_FIXTURES_DIR) +
                     "/../../examples/lora-chat.yaml --set model=" + model +
                     " --set training.steps=4 --set data.eval=[] --set lora.use_dora=true" +
                     " --set output=" + (dir / "dora").string(),
                 true);
  ASSERT_EQ(dora.exit_code, 0) << dora.out;
  const std::string gpt2 = hf_model_fixture("gpt2").string();
  for (const std::string& source :
       {" --model " + model,
        " --model " + model + " --adapter " + (dir / "run" / "adapter").string(),
        " --model " + model + " --adapter " + (dir / "dora" / "adapter").string(),
        " --model " + model + " --adapter " + std::string(RETUNE_FIXTURES_DIR) +
            "/peft_methods/qwen2/ia3/adapter",
        " --model " + gpt2 + " --seq-len 128"}) {
    const auto scores = [&](const char* device) {
      const RetuneRun run = run_retune(
          "eval" + source + " --data " + (dir / "qa.jsonl").string() + " --json --device " + device,
          true);
      EXPECT_EQ(run.exit_code, 0) << run.out;
      return nlohmann::json::parse(run.out)["files"][0];
    };
    const nlohmann::json cpu = scores("cpu"), gpu = scores("cuda");
    const double loss = cpu["loss"].get<double>();
    EXPECT_NEAR(gpu["loss"].get<double>(), loss, 1e-2 * loss) << source;
    ASSERT_FALSE(cpu["exact_match"].is_null());
    ASSERT_FALSE(gpu["exact_match"].is_null()) << source;
    EXPECT_EQ(gpu["exact_match"]["scored"], cpu["exact_match"]["scored"]) << source;
    // Greedy completions agree but where bf16 rounding breaks a near tie: one pair at most.
    EXPECT_LE(std::abs(gpu["exact_match"]["correct"].get<int>() -
                       cpu["exact_match"]["correct"].get<int>()),
              1)
        << source;
  }
}

}  // namespace
}  // namespace retune
