// `retune train --device cuda` against the same run on the CPU (the GPU's parity test): LoRA,
// DoRA, (IA)³, SSF, Poly, full fine-tuning, BitFit, norm tuning and S2FT of fixture models (Llama
// with tied embeddings; Qwen2, whose q, k and v have biases; GPT-2, with Conv1D projections and
// learned positions) give the CPU's loss curve within bf16 tolerance, and the adapter or model
// folder the GPU run writes works on the CPU; so do the evaluations and the forgetting controls.
// These tests need a CUDA GPU: without one (CI) they skip, saying so, and run on the device machine
// (bench/run_gpu.sh). A device that does not exist or that the build lacks is refused everywhere.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/device.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

// The training command on a fixture model: examples/lora-chat.yaml without evaluation, 8 steps
// of 4 rows, one thread, every step logged.
std::string train_args(const std::string& model, const std::string& method,
                       const std::string& output, const std::string& device) {
  return "train " + std::string(RETUNE_FIXTURES_DIR) + "/../../examples/lora-chat.yaml" +
         " --set model=" + hf_model_fixture(model).string() +
         " --set tokenizer=" + hf_model_fixture("qwen2").string() + " --set method=" + method +
         " --set training.steps=8 --set training.grad_accum=1 --set threads=1 --set log_every=1" +
         " --set data.eval=[] --set data.retain=[] --set lora.dropout=0" +
         " --set output=" + output + " --device " + device;
}

// The lines of a run's metrics.jsonl that have `key`.
std::vector<nlohmann::json> metrics_with(const std::filesystem::path& run, const char* key) {
  std::vector<nlohmann::json> result;
  const std::string text = read_text_file(run / "metrics.jsonl");
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const nlohmann::json line =
        nlohmann::json::parse(text.substr(start, end == std::string::npos ? end : end - start));
    if (line.contains(key)) result.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return result;
}

// The loss of every logged step in a run's metrics.jsonl.
std::vector<double> losses(const std::filesystem::path& run) {
  std::vector<double> result;
  for (const nlohmann::json& line : metrics_with(run, "loss")) {
    result.push_back(line["loss"].get<double>());
  }
  return result;
}

TEST(GpuTrainCli, RefusesADeviceItCannotUse) {
  TempDir dir;
  const RetuneRun unknown =
      run_retune(train_args("llama_tied", "lora", (dir / "a").string(), "tpu"), true);
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.out.find("training.device must be cpu, cuda or cuda:N"), std::string::npos)
      << unknown.out;
  const RetuneRun missing =
      run_retune(train_args("llama_tied", "lora", (dir / "b").string(), "cuda:7"), true);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_TRUE(refused_for_want_of(missing.out, "cuda:7")) << missing.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "b"));
  // Every method runs on a GPU: each passes those checks and fails only for want of the device
  // (BitFit with every forgetting control and exact match, LT-SFT, a sparse mask, LoRA with IST,
  // (IA)³, SSF, S2FT, Poly).
  const std::string retain =
      " --set data.retain=[" + std::string(RETUNE_FIXTURES_DIR) + "/../../examples/data/text.txt]";
  for (const auto& [accepted_method, settings] : std::vector<std::pair<const char*, std::string>>{
           {"bitfit", retain + " --set forgetting.l2sp=1 --set forgetting.ewc=10" +
                          " --set forgetting.distill=1 --set forgetting.fpf_every=2" +
                          " --set data.exact_match=true"},
           {"lt_sft", " --set sparse.count=10"},
           {"full", " --set sparse.mask=" + (dir / "mask.safetensors").string()},
           {"lora", " --set ist.enabled=true"},
           {"ia3", ""},
           {"ssf", ""},
           {"s2ft", ""},
           {"poly", ""}}) {
    const RetuneRun accepted = run_retune(
        train_args("qwen2", accepted_method, (dir / "f").string(), "cuda:7") + settings, true);
    EXPECT_NE(accepted.exit_code, 0) << accepted_method;
    EXPECT_TRUE(refused_for_want_of(accepted.out, "cuda:7"))
        << accepted_method << settings << ": " << accepted.out;
  }
  // GPT-2 too.
  const RetuneRun gpt2 =
      run_retune(train_args("gpt2", "lora", (dir / "e").string(), "cuda:7"), true);
  EXPECT_NE(gpt2.exit_code, 0);
  EXPECT_TRUE(refused_for_want_of(gpt2.out, "cuda:7")) << gpt2.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "e"));
}

// A GPU run evaluates on the GPU: its eval and retain losses (and so its forgetting) match the CPU
// run's within the loss curve's bf16 tolerance, under a forgetting budget it stays within.
TEST(GpuTrainCli, EvaluatesAndMeasuresForgettingOnTheGpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  TempDir dir;
  const std::string examples = std::string(RETUNE_FIXTURES_DIR) + "/../../examples/data/";
  const auto args = [&](const char* run, const char* device) {
    return train_args("qwen2", "lora", (dir / run).string(), device) + " --set data.eval=[" +
           examples + "chat.jsonl] --set data.retain=[" + examples +
           "text.txt] --set eval_every=4 --set training.forgetting_budget=100";
  };
  const RetuneRun cpu = run_retune(args("cpu", "cpu"), true);
  ASSERT_EQ(cpu.exit_code, 0) << cpu.out;
  const RetuneRun gpu = run_retune(args("gpu", "cuda"), true);
  ASSERT_EQ(gpu.exit_code, 0) << gpu.out;
  // The evaluations (before the first step, every 4 steps and at the end) with eval_loss and each
  // retain file's loss.
  const std::vector<nlohmann::json> want = metrics_with(dir / "cpu", "eval_loss"),
                                    got = metrics_with(dir / "gpu", "eval_loss");
  ASSERT_EQ(want.size(), 3u);  // steps 0, 4 and 8
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const double eval = want[i]["eval_loss"].get<double>();
    EXPECT_NEAR(got[i]["eval_loss"].get<double>(), eval, 1e-2 * eval) << "evaluation " << i;
    ASSERT_EQ(got[i]["retain"].size(), 1u);
    const double retain = want[i]["retain"].begin().value()["loss"].get<double>();
    EXPECT_NEAR(got[i]["retain"].begin().value()["loss"].get<double>(), retain, 1e-2 * retain)
        << "evaluation " << i;
  }
  EXPECT_LT(got.back()["eval_loss"].get<double>(), got.front()["eval_loss"].get<double>());
  EXPECT_TRUE(std::filesystem::exists(dir / "gpu" / "adapter" / "adapter_model.safetensors"));
}

// The forgetting controls run on the GPU as on the CPU: L2-SP and EWC (its Fisher estimated on
// the GPU), self-distillation (the KL head on the GPU) and FPF phases give each step's loss,
// penalty, distillation loss and FPF loss of the CPU run within bf16 tolerance. The penalty grows
// with (θ - θ0)², whose steps Adam normalises (a gradient's bf16 error moves each by about as
// much), and EWC's Fisher is the GPU's own: 10%. The distillation losses are KL divergences of
// ~1e-3 from a base whose hidden states the GPU computes without the training step's bf16
// activations: 10% and 5e-4.
TEST(GpuTrainCli, LimitsForgettingOnTheGpuAsOnTheCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  TempDir dir;
  const std::string examples = std::string(RETUNE_FIXTURES_DIR) + "/../../examples/data/";
  const auto args = [&](const char* run, const char* device) {
    return train_args("qwen2", "lora", (dir / run).string(), device) + " --set data.retain=[" +
           examples + "text.txt] --set forgetting.l2sp=100 --set forgetting.ewc=1000" +
           " --set forgetting.ewc_rows=4 --set forgetting.distill=1" +
           " --set forgetting.distill_rows=4 --set forgetting.fpf_every=4" +
           " --set forgetting.fpf_steps=2";
  };
  const RetuneRun cpu = run_retune(args("cpu", "cpu"), true);
  ASSERT_EQ(cpu.exit_code, 0) << cpu.out;
  const RetuneRun gpu = run_retune(args("gpu", "cuda"), true);
  ASSERT_EQ(gpu.exit_code, 0) << gpu.out;
  EXPECT_NE(gpu.out.find("ewc: diagonal Fisher estimated on 4 rows"), std::string::npos) << gpu.out;
  const std::vector<nlohmann::json> want = metrics_with(dir / "cpu", "loss"),
                                    got = metrics_with(dir / "gpu", "loss");
  ASSERT_EQ(want.size(), 8u);
  ASSERT_EQ(got.size(), want.size());
  int fpf_phases = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const auto near = [&](const char* key, double relative, double absolute) {
      ASSERT_TRUE(got[i].contains(key)) << key << " at step " << i + 1;
      const double value = want[i][key].get<double>();
      EXPECT_NEAR(got[i][key].get<double>(), value, relative * std::fabs(value) + absolute)
          << key << " at step " << i + 1;
    };
    near("loss", 1e-2, 0);
    near("penalty", 0.1, 1e-6);
    near("distill", 0.1, 5e-4);
    ASSERT_EQ(got[i].contains("fpf_loss"), want[i].contains("fpf_loss")) << "step " << i + 1;
    if (want[i].contains("fpf_loss")) {
      near("fpf_loss", 1e-2, 0);
      ++fpf_phases;
    }
  }
  EXPECT_EQ(fpf_phases, 2);  // after steps 4 and 8
  EXPECT_GT(got.back()["penalty"].get<double>(), 0.0);
}

// A training case for the parity test: the model, the method, more settings (the methods that
// train few weights need a larger learning rate for the loss to fall within 8 steps; DoRA is a
// LoRA setting) and what they add to the test's name.
struct GpuCase {
  const char* model;
  const char* method;
  const char* settings = "";
  const char* variant = "";
};

class GpuTrainParity : public testing::TestWithParam<GpuCase> {};

TEST_P(GpuTrainParity, GivesTheCpuLossCurveAndAFolderTheCpuReads) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  const GpuCase c = GetParam();
  TempDir dir;
  const auto args = [&](const char* run, const char* device) {
    return train_args(c.model, c.method, (dir / run).string(), device) + c.settings;
  };
  const RetuneRun cpu = run_retune(args("cpu", "cpu"), true);
  ASSERT_EQ(cpu.exit_code, 0) << cpu.out;
  const RetuneRun gpu = run_retune(args("gpu", "cuda"), true);
  ASSERT_EQ(gpu.exit_code, 0) << gpu.out;
  EXPECT_NE(gpu.out.find("training on cuda:0"), std::string::npos) << gpu.out;
  EXPECT_NE(gpu.out.find("peak GPU memory"), std::string::npos) << gpu.out;

  // bf16 products (8 significant bits) against f32 ones: each step's loss agrees to 1% and the
  // curves fall alike; the first step sees the same weights on both.
  const std::vector<double> want = losses(dir / "cpu"), got = losses(dir / "gpu");
  ASSERT_EQ(want.size(), 8u);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-2 * std::fabs(want[i])) << "step " << i + 1;
  }
  EXPECT_NEAR(got[0], want[0], 2e-3 * std::fabs(want[0]));
  EXPECT_LT(got.back(), got.front());

  // What the GPU run wrote works on the CPU: its adapter (or model) gives logits close to the
  // CPU run's.
  const std::string method = c.method;
  const bool adapter = method == "lora" || method == "ia3" || method == "ssf" || method == "poly";
  const auto logits = [&](const char* run) {
    const std::string model = adapter ? hf_model_fixture(c.model).string() + " --adapter " +
                                            (dir / run / "adapter").string()
                                      : (dir / run / "model").string();
    const std::string out = (dir / (std::string(run) + ".safetensors")).string();
    const RetuneRun forward =
        run_retune("forward --model " + model + " --ids 1,2,3,4,5 --out " + out, true);
    EXPECT_EQ(forward.exit_code, 0) << forward.out;
    return SafetensorsFile::open(out).tensor("logits").to_f32_vector();
  };
  const std::vector<float> a = logits("cpu"), b = logits("gpu");
  ASSERT_EQ(a.size(), b.size());
  double scale = 0, error = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, static_cast<double>(std::fabs(a[i])));
    error = std::max(error, static_cast<double>(std::fabs(a[i] - b[i])));
  }
  EXPECT_LT(error, 5e-2 * scale) << "largest logit " << scale;
}

INSTANTIATE_TEST_SUITE_P(Runs, GpuTrainParity,
                         testing::Values(GpuCase{"llama_tied", "lora"}, GpuCase{"qwen2", "lora"},
                                         GpuCase{"llama_tied", "full"},
                                         GpuCase{"qwen2", "bitfit", " --set training.lr=3e-2"},
                                         GpuCase{"llama_tied", "norm", " --set training.lr=3e-2"},
                                         GpuCase{"qwen2", "lora", " --set lora.use_dora=true",
                                                 "_dora"},
                                         GpuCase{"gpt2", "lora"}, GpuCase{"gpt2", "full"},
                                         GpuCase{"qwen2", "ia3", " --set training.lr=1e-1"},
                                         GpuCase{"gpt2", "ia3", " --set training.lr=1e-1"},
                                         GpuCase{"llama_tied", "ssf", " --set training.lr=3e-2"},
                                         GpuCase{"gpt2", "ssf", " --set training.lr=3e-2"},
                                         GpuCase{"llama_tied", "s2ft"},
                                         GpuCase{"llama_tied", "poly", " --set training.lr=1e-2"}),
                         [](const auto& test) {
                           return std::string(test.param.model) + "_" + test.param.method +
                                  test.param.variant;
                         });

}  // namespace
}  // namespace retune
