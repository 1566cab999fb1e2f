// `retune analyze intruders` and `retune analyze delta` end to end: the table, JSON and report
// for an adapter and a fine-tuned model, --mitigate writing an adapter folder (GPT-2 too), one-line
// errors for bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/model_parity.h"
#include "support/perturbed_model.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

namespace fs = std::filesystem;

const std::string kBase = hf_model_fixture("llama_gqa_untied").string();
const std::string kPlanted =
    (fs::path(RETUNE_FIXTURES_DIR) / "intruders" / "planted" / "adapter").string();

TEST(AnalyzeCli, IntrudersOfAnAdapterAsTableAndJson) {
  const RetuneRun table =
      run_retune("analyze intruders --base " + kBase + " --adapter " + kPlanted);
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("model.layers.0.self_attn.q_proj"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\ntotal "), std::string::npos) << table.out;

  const RetuneRun json = run_retune("analyze intruders --base " + kBase + " --adapter " + kPlanted +
                                    " --top-k 5 --epsilon 0.45 --json");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["base"], kBase);
  EXPECT_EQ(report["adapter"], kPlanted);
  EXPECT_EQ(report["top_k"], 5);
  EXPECT_EQ(report["epsilon"], 0.45);
  ASSERT_EQ(report["modules"].size(), 8u);  // q, v, down and up in 2 layers
  size_t total = 0;
  for (const nlohmann::json& m : report["modules"]) {
    EXPECT_EQ(m["cosines"].size(), 5u);
    EXPECT_EQ(m["intruders"], m["intruder_indices"].size());
    EXPECT_EQ(m["intruder_singular_values"].size(), m["intruder_indices"].size());
    total += m["intruders"].get<size_t>();
  }
  EXPECT_EQ(report["total_intruders"], total);
  EXPECT_EQ(total, 6u);  // two planted directions in each of three modules
}

TEST(AnalyzeCli, AFineTunedModelsEveryChangedProjectionIsAnalysed) {
  TempDir dir;
  write_perturbed_model(kBase, dir / "tuned", 3);
  for (const char* command : {"intruders", "delta"}) {
    const RetuneRun run = run_retune(std::string("analyze ") + command + " --base " + kBase +
                                     " --tuned " + (dir / "tuned").string() + " --json");
    ASSERT_EQ(run.exit_code, 0) << run.out;
    const nlohmann::json report = nlohmann::json::parse(run.out);
    // 7 projections in 2 layers; no embeddings, norms or head.
    ASSERT_EQ(report["modules"].size(), 14u) << command;
    EXPECT_EQ(report["modules"][0]["module"], "model.layers.0.self_attn.q_proj");
  }
}

TEST(AnalyzeCli, MitigateWritesAnAdapter) {
  TempDir dir;
  const std::string out = (dir / "mitigated").string();
  const RetuneRun run = run_retune("analyze intruders --base " + kBase + " --adapter " + kPlanted +
                                   " --mitigate 0 --out " + out);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find(out + ": the adapter with its intruder components scaled by 0\n"),
            std::string::npos)
      << run.out;
  EXPECT_TRUE(fs::exists(fs::path(out) / "adapter_model.safetensors"));
  // λ = 0 removes the planted intruders.
  const auto total = [&](const std::string& adapter) {
    const RetuneRun r =
        run_retune("analyze intruders --base " + kBase + " --adapter " + adapter + " --json");
    return nlohmann::json::parse(r.out)["total_intruders"].get<size_t>();
  };
  EXPECT_EQ(total(kPlanted), 6u);
  EXPECT_EQ(total(out), 0u);
}

TEST(AnalyzeCli, Gpt2Conv1DWeightsAreReadAsOutByIn) {
  TempDir dir;
  const std::string gpt2 = hf_model_fixture("gpt2").string();
  const std::string adapter =
      (fs::path(RETUNE_FIXTURES_DIR) / "peft" / "gpt2" / "lora" / "after_3_steps").string();
  const std::string out = (dir / "mitigated").string();
  ASSERT_EQ(run_retune("analyze intruders --base " + gpt2 + " --adapter " + adapter +
                       " --mitigate 0.5 --out " + out)
                .exit_code,
            0);
  // c_attn: stored Conv1D [64, 192], nn.Linear [out 192, in 64]; the mitigated factors load.
  for (const std::string& folder : {adapter, out}) {
    const RetuneRun run =
        run_retune("analyze delta --base " + gpt2 + " --adapter " + folder + " --json");
    ASSERT_EQ(run.exit_code, 0) << run.out;
    const nlohmann::json report = nlohmann::json::parse(run.out);
    for (const nlohmann::json& m : report["modules"]) {
      if (m["module"] == "transformer.h.0.attn.c_attn") {
        EXPECT_EQ(m["shape"], nlohmann::json::array({192, 64}));
      }
    }
  }
}

TEST(AnalyzeCli, BadInputIsOneLineErrors) {
  TempDir dir;
  const auto error = [](const std::string& args) {
    const RetuneRun run = run_retune("analyze intruders " + args, true);
    EXPECT_EQ(run.exit_code, 1) << run.out;
    return run.out;
  };
  const std::string inputs = "--base " + kBase + " --adapter " + kPlanted;
  EXPECT_EQ(error(inputs + " --top-k 0"), "retune: error: --top-k must be >= 1, got 0\n");
  EXPECT_EQ(error(inputs + " --epsilon 1.5"),
            "retune: error: --epsilon must be in (0, 1], got 1.5\n");
  EXPECT_EQ(error(inputs + " --mitigate 0.5"),
            "retune: error: --mitigate LAMBDA and --out DIR go together\n");
  EXPECT_EQ(error(inputs + " --mitigate 2 --out " + (dir / "o").string()),
            "retune: error: --mitigate must be in [0, 1], got 2\n");
  EXPECT_EQ(error("--base " + kBase),
            "retune: error: give one of --tuned DIR (a fine-tuned model) and --adapter DIR (a PEFT "
            "adapter)\n");
  EXPECT_EQ(error("--base " + kBase + " --tuned " + kBase + " --mitigate 0.5 --out " +
                  (dir / "o").string()),
            "retune: error: --mitigate takes --adapter DIR (a LoRA adapter), not --tuned\n");
  const std::string ia3 =
      (fs::path(RETUNE_FIXTURES_DIR) / "peft_methods" / "llama_gqa_untied" / "ia3" / "adapter")
          .string();
  EXPECT_EQ(error("--base " + kBase + " --adapter " + ia3 + " --mitigate 0.5 --out " +
                  (dir / "o").string()),
            "retune: error: " + ia3 +
                "/adapter_config.json: peft_type IA3, but intruder mitigation supports LoRA "
                "adapters only\n");
  EXPECT_FALSE(fs::exists(dir / "o"));
  const std::string missing = (dir / "missing").string();
  EXPECT_EQ(error("--base " + kBase + " --tuned " + missing)
                .rfind("retune: error: " + missing + "/config.json: cannot open", 0),
            0u);
}

TEST(AnalyzeCli, DeltaOfAnAdapterAsJsonTableAndReport) {
  TempDir dir;
  const std::string page = (dir / "delta.html").string();
  const RetuneRun json = run_retune("analyze delta --base " + kBase + " --adapter " + kPlanted +
                                    " --json --report " + page);
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["adapter"], kPlanted);
  ASSERT_EQ(report["modules"].size(), 8u);
  for (const nlohmann::json& m : report["modules"]) {
    const auto shape = m["shape"].get<std::vector<int64_t>>();
    EXPECT_EQ(m["singular_values"].size(), static_cast<size_t>(std::min(shape[0], shape[1])));
    EXPECT_LE(m["numerical_rank"].get<int64_t>(), 4) << m["module"];  // LoRA rank r = 4
    EXPECT_GE(m["numerical_rank"].get<int64_t>(), 1) << m["module"];
    EXPECT_GT(m["frobenius"].get<double>(), 0);
    EXPECT_LE(m["entries_for_90"].get<double>(), m["entries_for_99"].get<double>());
  }
  const std::string html = read_file(page);
  EXPECT_NE(html.find("class=\"chart line-chart\""), std::string::npos);
  EXPECT_NE(html.find("class=\"chart bar-chart\""), std::string::npos);

  const RetuneRun table = run_retune("analyze delta --base " + kBase + " --adapter " + kPlanted);
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_EQ(table.out.rfind("module ", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("model.layers.1.mlp.up_proj "), std::string::npos) << table.out;
}

}  // namespace
}  // namespace retune
