// Poly and MHR against PEFT 0.21.2 (tests/fixtures/peft_methods/llama_gqa_untied/{poly,mhr}, made
// by tools/fixtures/make_peft_method_fixtures.py): PEFT's default targets and tensor shapes;
// PEFT's adapter (seeded values, three tasks, rows routed to tasks 0, 2, 1, 0) loaded onto the
// base gives PEFT's logits, and in PEFT's eval routing (sigmoid, the mode its gradients were
// taken in) its loss and gradients; saving it gives PEFT's files back; merging for one task
// computes what the adapter does for that task. Tolerances are the fixture's recommended ones.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "adapters/mhr_mu.h"
#include "adapters/poly_model.h"
#include "model/trainable_weights.h"
#include "peft_method_fixtures.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kModel = "llama_gqa_untied";
const char* const kCases[] = {"poly", "mhr"};

fs::path case_path(const std::string& name, const std::string& file) {
  return peft_method_fixture(std::string(kModel) + "/" + name + "/" + file);
}

std::vector<int32_t> fixture_tasks(const json& meta) {
  return meta["task_ids"].get<std::vector<int32_t>>();
}

TEST(PolyPeft, DefaultsSelectWhatPeftSelected) {
  for (const std::string name : kCases) {
    SCOPED_TRACE(name);
    const json& meta = peft_method_case(std::string(kModel) + "/" + name);
    const auto lm = model::load_causal_lm(hf_model_fixture(kModel));
    PolyConfig config;
    config.shape = {.r = meta["config"]["r"].get<int64_t>(),
                    .n_tasks = meta["config"]["n_tasks"].get<int64_t>(),
                    .n_skills = meta["config"]["n_skills"].get<int64_t>(),
                    .n_splits = meta["config"]["n_splits"].get<int64_t>()};
    const PolyModel poly = attach_poly(*lm, config, 1, {});
    std::vector<std::string> names;
    for (const PolyModule& module : poly.modules()) names.push_back(module.site.name);
    EXPECT_EQ(names, meta["adapted_modules"].get<std::vector<std::string>>());
    const auto targets = poly.config().target_modules.names;
    EXPECT_EQ(std::set<std::string>(targets.begin(), targets.end()),
              meta["target_modules_default"].get<std::set<std::string>>());
    for (const AdapterParameter& p : poly.parameters()) {
      const auto shape = meta["adapter_tensor_shapes"][p.name].get<std::vector<int64_t>>();
      ASSERT_EQ(p.value.rank(), static_cast<int>(shape.size())) << p.name;
      for (int d = 0; d < p.value.rank(); ++d)
        EXPECT_EQ(p.value.size(d), shape[static_cast<size_t>(d)]) << p.name;
    }
  }
}

TEST(PolyPeft, LoadedAdapterGivesPeftsLogitsLossAndGradients) {
  for (const std::string name : kCases) {
    SCOPED_TRACE(name);
    const json& meta = peft_method_case(std::string(kModel) + "/" + name);
    const json& tolerance = meta["recommended_tolerances"];
    const auto lm = model::load_causal_lm(hf_model_fixture(kModel));
    PolyModel poly = load_poly(*lm, case_path(name, "adapter"));
    poly.route(fixture_tasks(meta));
    const model::TokenBatch batch = peft_method_calibration(kModel);

    const Tensor want_logits =
        SafetensorsFile::open(case_path(name, "logits.safetensors")).tensor("logits");
    const double logits_error =
        unmasked_max_error(kModel, lm->forward(batch.input_ids), want_logits);
    record_error(name + "_logits_max_abs_error", logits_error);
    EXPECT_LE(logits_error, tolerance["logits_abs"].get<double>());

    poly.sample_routing(false);
    const model::TrainingSetup setup =
        model::make_training_step(*lm, [](const std::string&) { return false; });
    const double loss = setup.step->step(batch);
    const double want_loss = meta["loss"].get<double>();
    record_error(name + "_loss_rel_error", std::abs(loss - want_loss) / want_loss);
    EXPECT_LE(std::abs(loss - want_loss) / want_loss, tolerance["loss_rel"].get<double>());

    const SafetensorsFile grads = SafetensorsFile::open(case_path(name, "grads.safetensors"));
    ASSERT_EQ(grads.names().size(), poly.parameters().size());
    double worst = 0;
    for (const AdapterParameter& p : poly.parameters()) {
      const double error = normwise_error(p.grad, grads.tensor(p.name));
      EXPECT_LE(error, tolerance["grads_rel_fro"].get<double>()) << p.name;
      worst = std::max(worst, error);
    }
    record_error(name + "_grads_rel_fro_error", worst);
  }
}

TEST(PolyPeft, SavesWhatPeftSaved) {
  for (const std::string name : kCases) {
    SCOPED_TRACE(name);
    const fs::path peft = case_path(name, "adapter");
    const auto lm = model::load_causal_lm(hf_model_fixture(kModel));
    json peft_config = read_json_file(peft / "adapter_config.json");
    TempDir dir;
    load_poly(*lm, peft).save(*lm, dir / "adapter",
                              peft_config["base_model_name_or_path"].get<std::string>());
    EXPECT_EQ(read_file(dir / "adapter/adapter_model.safetensors"),
              read_file(peft / "adapter_model.safetensors"));
    json saved = read_json_file(dir / "adapter/adapter_config.json");
    // PEFT writes target_modules in its set's order.
    for (json* config : {&saved, &peft_config}) {
      auto targets = (*config)["target_modules"].get<std::vector<std::string>>();
      std::sort(targets.begin(), targets.end());
      (*config)["target_modules"] = targets;
    }
    EXPECT_EQ(saved, peft_config);
    EXPECT_FALSE(fs::exists(dir / "adapter/poly_tasks.json"));
  }
}

TEST(PolyPeft, MergedWeightsComputeTheTasksAdapter) {
  const auto lm = model::load_causal_lm(hf_model_fixture(kModel));
  PolyModel poly = load_poly(*lm, case_path("mhr", "adapter"));
  const Tensor ids = peft_method_calibration(kModel).input_ids;
  EXPECT_THROW(poly.merged_weights(), Error);
  for (int32_t task = 0; task < 3; ++task) {
    poly.route_all(task);
    const auto merged_lm = model::load_causal_lm(hf_model_fixture(kModel));
    for (const auto& [name, tensor] : poly.merged_weights()) {
      model::set_weight(*merged_lm, name, tensor);
    }
    const double error = unmasked_max_error(kModel, merged_lm->forward(ids), lm->forward(ids));
    record_error("task_" + std::to_string(task) + "_merged_logits_max_abs_error", error);
    EXPECT_LE(error, 1e-5);
  }
}

TEST(PolyPeft, MhrMuAveragesTheSkills) {
  const fs::path folder = case_path("mhr", "adapter");
  const SafetensorsFile poly = SafetensorsFile::open(folder / "adapter_model.safetensors");
  const auto lm = model::load_causal_lm(hf_model_fixture(kModel));
  const LoraModel lora = attach_mhr_mu(*lm, folder, LoraConfig{}, 1);
  EXPECT_EQ(lora.config().r, 4);
  EXPECT_EQ(lora.config().lora_alpha, 1);
  for (const LoraModule& module : lora.modules()) {
    SCOPED_TRACE(module.site.name);
    const std::string key = "base_model.model." + module.site.name;
    const Tensor a = poly.tensor(key + ".poly_lora_A");  // [2, 4, in/2, 4]
    const Tensor b = poly.tensor(key + ".poly_lora_B");  // [2, 4, 4, out/2]
    const int64_t half_in = a.size(2), half_out = b.size(3);
    const std::vector<float> av = a.to_f32_vector(), bv = b.to_f32_vector();
    const std::vector<AdapterParameter> parameters = module.lora->parameters();
    const std::vector<float> lora_a = parameters[0].value.to_f32_vector();  // [4, in]
    const std::vector<float> lora_b = parameters[1].value.to_f32_vector();  // [out, 4]
    for (int64_t k = 0; k < 4; ++k) {
      for (int64_t i = 0; i < 2 * half_in; ++i) {
        const int64_t p = i / half_in, d = i % half_in;
        double mean = 0;
        for (int64_t s = 0; s < 4; ++s)
          mean += av[static_cast<size_t>(((p * 4 + s) * half_in + d) * 4 + k)] / 4.0;
        EXPECT_NEAR(lora_a[static_cast<size_t>(k * 2 * half_in + i)], mean, 1e-6);
      }
      for (int64_t o = 0; o < 2 * half_out; ++o) {
        const int64_t p = o / half_out, d = o % half_out;
        double mean = 0;
        for (int64_t s = 0; s < 4; ++s)
          mean += bv[static_cast<size_t>(((p * 4 + s) * 4 + k) * half_out + d)] / 4.0;
        EXPECT_NEAR(lora_b[static_cast<size_t>(o * 4 + k)], mean, 1e-6);
      }
    }
  }
}

TEST(PolyPeft, AFolderWithAMisshapenTensorIsRefused) {
  const fs::path peft = case_path("poly", "adapter");
  TempDir dir;
  fs::create_directories(dir / "bad");
  fs::copy_file(peft / "adapter_config.json", dir / "bad/adapter_config.json");
  const std::string key = "base_model.model.model.layers.0.self_attn.q_proj.poly_lora_A";
  write_safetensors(dir / "bad/adapter_model.safetensors",
                    with_tensor(adapter_tensors(peft / "adapter_model.safetensors"), key,
                                Tensor::zeros({1, 4, 32, 4}, DType::f32)),
                    {});
  const auto lm = model::load_causal_lm(hf_model_fixture(kModel));
  try {
    load_poly(*lm, dir / "bad");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what())
                  .find("adapter_model.safetensors: tensor \"" + key +
                        "\" has shape [1, 4, 32, 4], expected [1, 4, 64, 4]"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace retune::adapters
