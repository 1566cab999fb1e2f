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
#include "peft_method_fixtures.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kModels[] = {"llama_gqa_untied", "qwen2"};

const json& case_of(const std::string& model) {
  return peft_method_case(model + "/ia3");
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
    const Ia3Model ia3 = load_ia3(*lm, peft_method_fixture(model + "/ia3/adapter"));
    const model::TokenBatch batch = peft_method_calibration(model);

    const Tensor want_logits =
        SafetensorsFile::open(peft_method_fixture(model + "/ia3/logits.safetensors"))
            .tensor("logits");
    const double logits_error =
        unmasked_max_error(model, lm->forward(batch.input_ids), want_logits);
    record_error(model + "_logits_max_abs_error", logits_error);
    EXPECT_LE(logits_error, tolerance["logits_abs"].get<double>());

    const model::TrainingSetup setup =
        model::make_training_step(*lm, [](const std::string&) { return false; });
    const double loss = setup.step->step(batch);
    const double want_loss = meta["loss"].get<double>();
    record_error(model + "_loss_rel_error", std::abs(loss - want_loss) / want_loss);
    EXPECT_LE(std::abs(loss - want_loss) / want_loss, tolerance["loss_rel"].get<double>());

    const SafetensorsFile grads =
        SafetensorsFile::open(peft_method_fixture(model + "/ia3/grads.safetensors"));
    ASSERT_EQ(grads.names().size(), ia3.parameters().size());
    double worst = 0;
    for (const AdapterParameter& p : ia3.parameters()) {
      const double error = normwise_error(p.grad, grads.tensor(p.name));
      EXPECT_LE(error, tolerance["grads_rel_fro"].get<double>()) << p.name;
      worst = std::max(worst, error);
    }
    record_error(model + "_grads_rel_fro_error", worst);
  }
}

TEST(Ia3Peft, MergesAsPeftDoes) {
  for (const std::string model : kModels) {
    SCOPED_TRACE(model);
    const auto lm = model::load_causal_lm(hf_model_fixture(model));
    const Ia3Model ia3 = load_ia3(*lm, peft_method_fixture(model + "/ia3/adapter"));
    const NamedTensors merged = ia3.merged_weights();
    const SafetensorsFile want =
        SafetensorsFile::open(peft_method_fixture(model + "/ia3/merged.safetensors"));
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
    record_error(model + "_merged_normwise_error", worst);
    // The merged model computes what the adapter does.
    const auto merged_lm = model::load_causal_lm(hf_model_fixture(model));
    for (const auto& [name, tensor] : merged) model::set_weight(*merged_lm, name, tensor);
    const Tensor ids = peft_method_calibration(model).input_ids;
    const double error = unmasked_max_error(model, merged_lm->forward(ids), lm->forward(ids));
    record_error(model + "_merged_logits_max_abs_error", error);
    EXPECT_LE(error, 1e-5);
  }
}

TEST(Ia3Peft, SavesWhatPeftSaved) {
  for (const std::string model : kModels) {
    SCOPED_TRACE(model);
    const fs::path peft = peft_method_fixture(model + "/ia3/adapter");
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
