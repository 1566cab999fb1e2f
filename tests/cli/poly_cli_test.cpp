// `retune train` with method poly from the CLI (examples/poly.yaml: two tasks named by the
// examples' "task" fields) on the Qwen2 fixture: it writes a PEFT POLY folder with its task
// names, which `retune eval` scores per task and `retune export --task` merges; then MHR-z (a
// third task's routing, the skills frozen) and MHR-μ (the skills averaged into a plain LoRA)
// continue from it. Bad task input fails in one line naming the file and line or the option.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

const std::string kExample = std::string(RETUNE_FIXTURES_DIR) + "/../../examples/poly.yaml";
const std::string kData = std::string(RETUNE_FIXTURES_DIR) + "/../../examples/data/poly/";

RetuneRun train(const TempDir& dir, const std::string& output, const std::string& sets) {
  return run_retune("train " + kExample + " --set output=" + (dir / output).string() +
                        " --set training.steps=2 --set threads=1 " + sets,
                    true);
}

TEST(PolyCli, TrainsEvaluatesExportsAndContinues) {
  TempDir dir;
  const RetuneRun trained = train(dir, "run", "--set poly.n_splits=2");
  ASSERT_EQ(trained.exit_code, 0) << trained.out;
  EXPECT_NE(trained.out.find("poly: 4 modules, 4 skills, 2 splits, 2 tasks"), std::string::npos)
      << trained.out;
  EXPECT_EQ(read_json_file(dir / "run/summary.json")["method"], "mhr");
  const std::string adapter = (dir / "run/adapter").string();
  const nlohmann::json config = read_json_file(dir / "run/adapter/adapter_config.json");
  EXPECT_EQ(config["peft_type"], "POLY");
  EXPECT_EQ(config["n_tasks"], 2);
  EXPECT_EQ(read_json_file(dir / "run/adapter/poly_tasks.json")["tasks"],
            (nlohmann::json{"sort", "copy"}));

  const std::string model = hf_model_fixture("qwen2").string();
  const RetuneRun evaluated =
      run_retune("eval --model " + model + " --adapter " + adapter + " --data " + kData +
                 "two-tasks-eval.jsonl --no-exact-match");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.out;
  EXPECT_NE(evaluated.out.find("loss"), std::string::npos);

  // export --task copy merges what forward --task copy computes.
  const std::string ids = " --ids 1,2,3,4,5";
  ASSERT_EQ(run_retune("forward --model " + model + " --adapter " + adapter + " --task copy" + ids +
                       " --out " + (dir / "adapted.safetensors").string())
                .exit_code,
            0);
  const RetuneRun refused = run_retune(
      "export --model " + model + " --adapter " + adapter + " --out " + (dir / "merged").string(),
      true);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.out.find("pass --task ID|NAME"), std::string::npos) << refused.out;
  ASSERT_EQ(run_retune("export --model " + model + " --adapter " + adapter + " --task 1 --out " +
                       (dir / "merged").string())
                .exit_code,
            0);
  ASSERT_EQ(run_retune("forward --model " + (dir / "merged").string() + ids + " --out " +
                       (dir / "merged.safetensors").string())
                .exit_code,
            0);
  const auto logits = [&](const char* file) {
    return SafetensorsFile::open(dir / file).tensor("logits").to_f32_vector();
  };
  const std::vector<float> a = logits("adapted.safetensors"), m = logits("merged.safetensors");
  ASSERT_EQ(a.size(), m.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], m[i], 1e-4f) << i;

  // MHR-z: a third task's router rows train, nothing else.
  const RetuneRun mhr_z =
      train(dir, "mhr_z",
            "--set adapter=" + adapter +
                " --set poly.train=router --set 'poly.tasks=[sort, copy, reverse]' --set "
                "data.train=" +
                kData + "reverse-train.jsonl --set data.eval=[]");
  ASSERT_EQ(mhr_z.exit_code, 0) << mhr_z.out;
  const SafetensorsFile before =
      SafetensorsFile::open(dir / "run/adapter/adapter_model.safetensors");
  const SafetensorsFile after =
      SafetensorsFile::open(dir / "mhr_z/adapter/adapter_model.safetensors");
  for (const std::string& name : after.names()) {
    const std::vector<float> x = after.tensor(name).to_f32_vector();
    const std::vector<float> y = before.tensor(name).to_f32_vector();
    if (name.ends_with("module_logits")) {
      ASSERT_EQ(x.size(), y.size() / 2 * 3) << name;                        // 3 rows of 8
      EXPECT_EQ(std::vector<float>(x.begin(), x.begin() + 16), y) << name;  // rows 0, 1 kept
    } else {
      EXPECT_EQ(x, y) << name;  // the skills are frozen
    }
  }

  // MHR-μ: a plain PEFT LoRA of rank 8, alpha 1.
  const RetuneRun mhr_mu = train(dir, "mhr_mu",
                                 "--set method=lora --set lora.init=mhr_mu --set "
                                 "lora.init_adapter=" +
                                     adapter + " --set data.eval=[]");
  ASSERT_EQ(mhr_mu.exit_code, 0) << mhr_mu.out;
  const nlohmann::json lora = read_json_file(dir / "mhr_mu/adapter/adapter_config.json");
  EXPECT_EQ(lora["peft_type"], "LORA");
  EXPECT_EQ(lora["r"], 8);
  EXPECT_EQ(lora["lora_alpha"], 1);
}

TEST(PolyCli, BadTasksFailInOneLine) {
  TempDir dir;
  const std::string data = (dir / "data.jsonl").string();
  const auto run_with = [&](const std::string& lines, const std::string& sets = "") {
    std::ofstream(data) << lines;
    return train(dir, "run", "--set data.train=" + data + " --set data.eval=[] " + sets);
  };
  const RetuneRun missing = run_with(
      "{\"prompt\":\"a\",\"completion\":\"b\",\"task\":0}\n{\"prompt\":\"a\",\"completion\":\"b\"}"
      "\n");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.out.find("data.jsonl:2: field \"task\" is missing"), std::string::npos)
      << missing.out;
  const RetuneRun unknown = run_with("{\"prompt\":\"a\",\"completion\":\"b\",\"task\":\"sum\"}\n");
  EXPECT_NE(unknown.out.find("data.jsonl:1: field \"task\": unknown task \"sum\""),
            std::string::npos)
      << unknown.out;
  const RetuneRun range = run_with("{\"prompt\":\"a\",\"completion\":\"b\",\"task\":2}\n");
  EXPECT_NE(range.out.find("data.jsonl:1: field \"task\": task id 2 is out of range"),
            std::string::npos)
      << range.out;
  const RetuneRun splits =
      run_with("{\"prompt\":\"a\",\"completion\":\"b\",\"task\":1}\n", "--set poly.n_splits=3");
  EXPECT_NE(splits.out.find("n_splits 3 must divide"), std::string::npos) << splits.out;
}

}  // namespace
}  // namespace retune
