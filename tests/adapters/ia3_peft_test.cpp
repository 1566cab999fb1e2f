// (IA)³ against PEFT 0.21.2 (tests/fixtures/peft_methods/<model>/ia3, made by
// tools/fixtures/make_peft_method_fixtures.py; metadata.json cases "<model>/ia3"): PEFT's
// default config selects the same modules and sides; PEFT's adapter (seeded vectors, not ones)
// loaded onto the base gives PEFT's logits, loss and vector gradients on the calibration set, its
// merge gives PEFT's merged weights and biases, and saving it gives PEFT's files back.
// Tolerances are the fixture's recommended ones (10x PEFT's own float32-vs-float64 difference);
// the measured errors are recorded as test properties.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "adapters/ia3_model.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "model/trainable_weights.h"
#include "peft_fixtures.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kModels[] = {"llama_gqa_untied", "qwen2"};

fs::path fixture(const std::string& path) {
  return fs::path(RETUNE_FIXTURES_DIR) / "peft_methods" / path;
}

const json& metadata() {
  static const json meta = read_json_file(fixture("metadata.json"));
  return meta;
}

const json& case_of(const std::string& model) {
  return metadata()["cases"][model + "/ia3"];
}

void record(const std::string& what, double error) {
  testing::Test::RecordProperty(what, fmt::format("{:.3g}", error));
}

// ||a - b|| / ||b||.
double normwise_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const std::vector<float> x = a.to_f32_vector(), y = b.to_f32_vector();
  double difference = 0, norm = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    difference += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
    norm += static_cast<double>(y[i]) * y[i];
  }
  return std::sqrt(difference / norm);
}

// The calibration set as one batch of 4 rows (hf_labelled_batch: the prompts and the last row's
// padding are unscored).
model::TokenBatch calibration_batch(const std::string& model) {
  return hf_labelled_batch(fixture(model) / "calibration.safetensors");
}

// The largest |a - b| over the logits [B, T, V] of positions the attention mask keeps (PEFT ran
// the model with it; the padding ends the last row, so the positions before it are unchanged).
double unpadded_max_error(const std::string& model, const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const Tensor mask =
      SafetensorsFile::open(fixture(model) / "calibration.safetensors").tensor("attention_mask");
  const std::vector<float> x = a.to_f32_vector(), y = b.to_f32_vector();
  const int64_t V = a.size(2);
  double worst = 0;
  for (int64_t position = 0; position < mask.numel(); ++position) {
    if (mask.data<int64_t>()[position] == 0) continue;
    for (int64_t v = position * V; v < (position + 1) * V; ++v) {
      worst = std::max(worst, std::abs(static_cast<double>(x[v]) - y[v]));
    }
  }
  return worst;
}

TEST(Ia3Peft, DefaultsSelectWhatPeftSelected) {
  for (const std::string model : kModels) {
    SCOPED_TRACE(model);
    const json& meta = case_of(model);
    const auto lm = model::load_causal_lm(hf_model_fixture(model));
    const Ia3Model ia3 = attach_ia3(*lm, Ia3Config{});
    std::vector<std::string> names;
    for (const Ia3Module& module : ia3.modules()) {
      names.push_back(module.site.name);
      const std::string side = meta["scaling_side"][module.site.name].get<std::string>();
      EXPECT_EQ(module.ia3->feedforward(), side.starts_with("input")) << module.site.name;
      EXPECT_EQ(module.site.bias.defined(), meta["bias"][module.site.name].get<bool>());
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, meta["adapted_modules"].get<std::vector<std::string>>());
    const auto as_set = [](const std::vector<std::string>& v) {
      return std::set<std::string>(v.begin(), v.end());
    };
    EXPECT_EQ(as_set(ia3.config().target_modules.names),
              as_set(meta["target_modules_default"].get<std::vector<std::string>>()));
    EXPECT_EQ(as_set(ia3.config().feedforward_modules.names),
              as_set(meta["feedforward_modules_default"].get<std::vector<std::string>>()));
    for (const AdapterParameter& p : ia3.parameters()) {
      EXPECT_EQ((std::vector<int64_t>{p.value.size(0), p.value.size(1)}),
                meta["adapter_tensor_shapes"][p.name].get<std::vector<int64_t>>())
          << p.name;
    }
  }
}

TEST(Ia3Peft, LoadedAdapterGivesPeftsLogitsLossAndGradients) {
  for (const std::string model : kModels) {
    SCOPED_TRACE(model);
    const json& meta = case_of(model);
    const json& tolerance = meta["recommended_tolerances"];
    const auto lm = model::load_causal_lm(hf_model_fixture(model));
    const Ia3Model ia3 = load_ia3(*lm, fixture(model + "/ia3/adapter"));
    const model::TokenBatch batch = calibration_batch(model);

    const Tensor want_logits =
        SafetensorsFile::open(fixture(model + "/ia3/logits.safetensors")).tensor("logits");
    const double logits_error =
        unpadded_max_error(model, lm->forward(batch.input_ids), want_logits);
    record(model + "_logits_max_abs_error", logits_error);
    EXPECT_LE(logits_error, tolerance["logits_abs"].get<double>());

    const model::TrainingSetup setup =
        model::make_training_step(*lm, [](const std::string&) { return false; });
    const double loss = setup.step->step(batch);
    const double want_loss = meta["loss"].get<double>();
    record(model + "_loss_rel_error", std::abs(loss - want_loss) / want_loss);
    EXPECT_LE(std::abs(loss - want_loss) / want_loss, tolerance["loss_rel"].get<double>());

    const SafetensorsFile grads = SafetensorsFile::open(fixture(model + "/ia3/grads.safetensors"));
    ASSERT_EQ(grads.names().size(), ia3.parameters().size());
    double worst = 0;
    for (const AdapterParameter& p : ia3.parameters()) {
      const double error = normwise_error(p.grad, grads.tensor(p.name));
      EXPECT_LE(error, tolerance["grads_rel_fro"].get<double>()) << p.name;
      worst = std::max(worst, error);
    }
    record(model + "_grads_rel_fro_error", worst);
  }
}

TEST(Ia3Peft, MergesAsPeftDoes) {
  for (const std::string model : kModels) {
    SCOPED_TRACE(model);
    const auto lm = model::load_causal_lm(hf_model_fixture(model));
    const Ia3Model ia3 = load_ia3(*lm, fixture(model + "/ia3/adapter"));
    const NamedTensors merged = ia3.merged_weights();
    const SafetensorsFile want = SafetensorsFile::open(fixture(model + "/ia3/merged.safetensors"));
    const json& keys = case_of(model)["merged_keys"];
    ASSERT_EQ(want.names().size(), keys.size());
    double worst = 0;
    for (const std::string name : keys) {
      const auto found = std::find_if(merged.begin(), merged.end(),
                                      [&](const auto& entry) { return entry.first == name; });
      ASSERT_NE(found, merged.end()) << name;
      const double error = normwise_error(found->second, want.tensor(name));
      EXPECT_LE(error, 1e-7) << name;
      worst = std::max(worst, error);
    }
    record(model + "_merged_normwise_error", worst);
    // The merged model computes what the adapter does.
    const auto merged_lm = model::load_causal_lm(hf_model_fixture(model));
    for (const auto& [name, tensor] : merged) model::set_weight(*merged_lm, name, tensor);
    const Tensor ids = calibration_batch(model).input_ids;
    const double error = unpadded_max_error(model, merged_lm->forward(ids), lm->forward(ids));
    record(model + "_merged_logits_max_abs_error", error);
    EXPECT_LE(error, 1e-5);
  }
}

TEST(Ia3Peft, SavesWhatPeftSaved) {
  for (const std::string model : kModels) {
    SCOPED_TRACE(model);
    const fs::path peft = fixture(model + "/ia3/adapter");
    const auto lm = model::load_causal_lm(hf_model_fixture(model));
    const json peft_config = read_json_file(peft / "adapter_config.json");
    TempDir dir;
    load_ia3(*lm, peft).save(*lm, dir / "adapter",
                             peft_config["base_model_name_or_path"].get<std::string>());
    EXPECT_EQ(read_file(dir / "adapter/adapter_model.safetensors"),
              read_file(peft / "adapter_model.safetensors"));
    EXPECT_EQ(read_json_file(dir / "adapter/adapter_config.json"), peft_config);
  }
}

}  // namespace
}  // namespace retune::adapters
