// Parity with PEFT 0.21.2 (tests/fixtures/peft; tools/fixtures/README.md): for every model and
// method, PEFT's initial adapter loaded onto the base model gives PEFT's loss and gradients, 3
// AdamW steps give PEFT's adapter, logits and merged weights, and PEFT's LoraConfig arguments
// select the modules, ranks and scalings PEFT chose. Tensors are compared whole (normwise or by
// their largest entry), as the fixtures' notes ask: single entries of a gradient are too small
// to have meaningful relative precision. The worst errors are recorded as test properties.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "adapters/lora_model.h"
#include "model/trainable_weights.h"
#include "peft_fixtures.h"
#include "support/model_parity.h"
#include "train/optimizer.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<double> doubles(const Tensor& tensor) {
  const std::vector<float> values = tensor.to_f32_vector();
  return {values.begin(), values.end()};
}

// ||a - b|| / ||b||.
double normwise_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const std::vector<double> x = doubles(a), y = doubles(b);
  double difference = 0, norm = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    difference += (x[i] - y[i]) * (x[i] - y[i]);
    norm += y[i] * y[i];
  }
  return std::sqrt(difference / norm);
}

// max |a - b|.
double max_abs_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const std::vector<double> x = doubles(a), y = doubles(b);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

void record(const std::string& what, double error) {
  testing::Test::RecordProperty(what, fmt::format("{:.3g}", error));
}

// Every tensor of `file` against the tensor of that name in `got`, normwise within `tolerance`.
void expect_tensors(const std::vector<std::pair<std::string, Tensor>>& got, const fs::path& file,
                    double tolerance, const std::string& what) {
  const SafetensorsFile want = SafetensorsFile::open(file);
  ASSERT_EQ(got.size(), want.names().size()) << what;
  double worst = 0;
  for (const auto& [name, tensor] : got) {
    ASSERT_TRUE(want.has(name)) << what << " " << name;
    const double error = normwise_error(tensor, want.tensor(name));
    EXPECT_LE(error, tolerance) << what << " " << name;
    worst = std::max(worst, error);
  }
  record(what, worst);
}

// The adapter's values (or gradients) by PEFT key.
std::vector<std::pair<std::string, Tensor>> adapter_tensors(const LoraModel& lora, bool grads) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const AdapterParameter& p : lora.parameters()) {
    tensors.emplace_back(p.name, grads ? p.grad : p.value);
  }
  return tensors;
}

Tensor fixture_tensor(const fs::path& file, const std::string& name) {
  return SafetensorsFile::open(file).tensor(name);
}

TEST(PeftConfigParity, ArgumentsSelectWhatPeftSelected) {
  for (const std::string& name : peft_cases()) {
    SCOPED_TRACE(name);
    const json& meta = peft_metadata()["cases"][name];
    nlohmann::ordered_json kwargs =
        nlohmann::ordered_json::parse(meta["lora_config_kwargs"].dump());
    kwargs["peft_type"] = "LORA";
    const auto lm = peft_base_model(name);
    const LoraModel lora = attach_lora(*lm, parse_lora_config(kwargs, name), 1);
    expect_modules_as_peft(lora, meta["modules"]);
  }
}

TEST(PeftConfigParity, PatternsGivePeftsLogits) {
  const std::string name = "llama_gqa_untied/lora_patterns";
  const json& meta = peft_metadata()["cases"][name];
  const auto lm = peft_base_model(name);
  const LoraModel lora = load_lora(*lm, peft_fixture(name) / "initial");
  expect_modules_as_peft(lora, meta["modules"]);
  const Tensor logits = lm->forward(peft_batch(name).input_ids);
  const double error =
      max_abs_error(logits, fixture_tensor(peft_fixture(name) / "logits.safetensors", "logits"));
  record("logits_max_abs_error", error);
  EXPECT_LE(error, 1e-4);
}

class PeftParity : public testing::TestWithParam<std::string> {};

TEST_P(PeftParity, TrainsAsPeftDoes) {
  const fs::path dir = peft_fixture(GetParam());
  const json& meta = peft_metadata()["cases"][GetParam()];
  const json& adamw = peft_metadata()["constants"]["adamw"];
  const auto lm = peft_base_model(GetParam());
  const LoraModel lora = load_lora(*lm, dir / "initial");
  expect_modules_as_peft(lora, meta["modules"]);
  const model::TokenBatch batch = peft_batch(GetParam());
  const model::TrainingSetup setup =
      model::make_training_step(*lm, [](const std::string&) { return false; });
  std::vector<train::Parameter> parameters;
  for (const AdapterParameter& p : lora.parameters()) {
    parameters.push_back({p.name, p.value, p.grad, true});
  }
  train::Optimizer optimizer(parameters, {.kind = train::OptimizerKind::adamw,
                                          .weight_decay = adamw["weight_decay"].get<double>(),
                                          .beta1 = adamw["betas"][0].get<double>(),
                                          .beta2 = adamw["betas"][1].get<double>(),
                                          .eps = adamw["eps"].get<double>()});
  const fs::path losses = dir / "losses.safetensors";
  const std::vector<float> train_losses = fixture_tensor(losses, "train_losses").to_f32_vector();
  double worst_loss = 0;
  for (size_t step = 0; step < train_losses.size(); ++step) {
    optimizer.zero_grad();
    const float loss = setup.step->step(batch);
    EXPECT_NEAR(loss, train_losses[step], 1e-5) << "step " << step;
    worst_loss = std::max(worst_loss, std::abs(static_cast<double>(loss) - train_losses[step]));
    if (step == 0) {
      expect_tensors(adapter_tensors(lora, true), dir / "grads.safetensors", 1e-4,
                     "grads_normwise_error");
    }
    optimizer.step(adamw["lr"].get<double>());
  }
  record("loss_abs_error", worst_loss);
  expect_tensors(adapter_tensors(lora, false), dir / "after_3_steps/adapter_model.safetensors",
                 1e-4, "after_3_steps_normwise_error");
  const double logits_error = max_abs_error(lm->forward(batch.input_ids),
                                            fixture_tensor(dir / "logits.safetensors", "logits"));
  record("logits_max_abs_error", logits_error);
  EXPECT_LE(logits_error, 1e-4);
  EXPECT_NEAR(setup.step->step(batch),
              fixture_tensor(losses, "loss_after_3_steps").to_f32_vector()[0], 1e-5);
}

TEST_P(PeftParity, MergesAsPeftDoes) {
  const fs::path dir = peft_fixture(GetParam());
  const json& meta = peft_metadata()["cases"][GetParam()];
  const auto lm = peft_base_model(GetParam());
  const LoraModel lora = load_lora(*lm, dir / "after_3_steps");
  const NamedTensors merged = lora.merged_weights();
  const SafetensorsFile want = SafetensorsFile::open(dir / "merged.safetensors");
  double worst = 0, worst_delta = 0;
  for (size_t i = 0; i < merged.size(); ++i) {
    const auto& [name, weight] = merged[i];
    SCOPED_TRACE(name);
    if (want.has(name)) {
      const double error = normwise_error(weight, want.tensor(name));
      EXPECT_LE(error, 1e-5);
      worst = std::max(worst, error);
    }
    // Every module's ||W' - W||_F against PEFT's (float64) statistics.
    const std::vector<double> w = doubles(weight), base = doubles(lora.modules()[i].site.weight);
    double delta = 0;
    for (size_t j = 0; j < w.size(); ++j) delta += (w[j] - base[j]) * (w[j] - base[j]);
    const double want_delta = meta["merged_stats"][name][3].get<double>();
    const double delta_error = std::abs(std::sqrt(delta) - want_delta) / want_delta;
    EXPECT_LE(delta_error, 1e-5);
    worst_delta = std::max(worst_delta, delta_error);
  }
  record("merged_normwise_error", worst);
  record("merged_delta_norm_error", worst_delta);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PeftParity, testing::ValuesIn(peft_training_cases()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           return case_test_name(param.param);
                         });

}  // namespace
}  // namespace retune::adapters
