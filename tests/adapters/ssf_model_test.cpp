// SsfModel on the fixture models: a start at γ = 1, β = 0 leaves the logits unchanged; the
// training step's gradients of every scale and shift (norms' shared pairs included) match
// central differences of its loss; `retune export` merges an adapter into a model folder
// (Llama gaining attention_bias / mlp_bias, Qwen2 without the shifts that cannot merge, GPT-2's
// LayerNorms) with the unmerged adapter's logits; adapter folders round-trip; unmergeable shifts
// are refused at export; malformed folders are refused naming the file and tensor or field.
#include "adapters/ssf_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/random_tensor.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "io/safetensors_writer.h"
#include "model/trainable_weights.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"
#include "support/training_checks.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::HasSubstr;

std::unique_ptr<model::CausalLm> load(const std::string& name) {
  return model::load_causal_lm(hf_model_fixture(name));
}

const Tensor& ids() {
  static const Tensor tokens =
      Tensor::from_vector<int32_t>({1, 6}, DType::i32, std::vector<int32_t>{5, 17, 3, 42, 8, 11});
  return tokens;
}

float max_difference(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_f32_vector(), y = b.to_f32_vector();
  EXPECT_EQ(x.size(), y.size());
  float most = 0;
  for (size_t i = 0; i < x.size(); ++i) most = std::max(most, std::abs(x[i] - y[i]));
  return most;
}

SsfConfig config_with(double init_std, bool unmergeable_shifts = false) {
  SsfConfig config;
  config.init_std = init_std;
  config.unmergeable_shifts = unmergeable_shifts;
  return config;
}

class SsfModels : public testing::TestWithParam<const char*> {};

TEST_P(SsfModels, StartsAsTheBaseAtUnitScaleAndZeroShift) {
  const auto lm = load(GetParam());
  const Tensor base = lm->forward(ids());
  const SsfModel ssf = attach_ssf(*lm, config_with(0.0), 1);
  EXPECT_LT(max_difference(lm->forward(ids()), base), 1e-5f);
  const SsfModel moved = attach_ssf(*lm, config_with(0.02), 1);
  EXPECT_GT(max_difference(lm->forward(ids()), base), 1e-4f);
}

// Every scale and shift: the directional derivative of one training step's loss along a random
// direction, by central differences, equals <gradient, direction>.
TEST_P(SsfModels, StepGradientsMatchCentralDifferences) {
  const auto lm = load(GetParam());
  const SsfModel ssf = attach_ssf(*lm, config_with(0.1, true), 3);
  const model::TrainingSetup setup =
      model::make_training_step(*lm, [](const std::string&) { return false; });
  const model::TokenBatch batch = fixture_batch(GetParam());
  setup.step->step(batch);
  std::vector<std::vector<float>> gradients;  // before the differences' steps add to them
  for (const AdapterParameter& p : ssf.parameters()) gradients.push_back(p.grad.to_f32_vector());
  uint64_t seed = 50;
  size_t index = 0;
  const float eps = 1e-2f;
  for (const AdapterParameter& p : ssf.parameters()) {
    SCOPED_TRACE(p.name);
    const std::vector<float> u = uniform_tensor(p.value.shape(), seed++).to_f32_vector();
    const std::vector<float>& g = gradients[index++];
    double predicted = 0;
    for (size_t j = 0; j < g.size(); ++j) predicted += static_cast<double>(g[j]) * u[j];
    const Tensor original = p.value.clone();
    const auto shifted_loss = [&](float sign) {
      float* data = p.value.mutable_data<float>();
      const float* start = original.data<float>();
      for (size_t j = 0; j < u.size(); ++j) data[j] = start[j] + sign * eps * u[j];
      return static_cast<double>(setup.step->step(batch));
    };
    const double measured = (shifted_loss(1) - shifted_loss(-1)) / (2 * eps);
    p.value.copy_from(original);
    EXPECT_NEAR(measured, predicted, 2e-3 + 2e-2 * std::abs(predicted));
  }
}

// Saved, exported with `retune export`, and loaded as a plain model: the logits of the adapter
// applied unmerged.
TEST_P(SsfModels, ExportGivesTheUnmergedLogits) {
  TempDir dir;
  const auto lm = load(GetParam());
  const SsfModel ssf = attach_ssf(*lm, config_with(0.2), 5);
  const Tensor adapted = lm->forward(ids());
  ssf.save(*lm, dir / "adapter", "base");
  const RetuneRun exported =
      run_retune("export --model " + hf_model_fixture(GetParam()).string() + " --adapter " +
                     (dir / "adapter").string() + " --out " + (dir / "merged").string(),
                 true);
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  const auto merged = model::load_causal_lm(dir / "merged");
  EXPECT_LT(max_difference(merged->forward(ids()), adapted), 1e-5f);
  EXPECT_GT(max_difference(load(GetParam())->forward(ids()), adapted), 1e-3f);
}

INSTANTIATE_TEST_SUITE_P(Models, SsfModels, testing::Values("llama_tied", "qwen2", "qwen3", "gpt2"),
                         [](const auto& test) { return std::string(test.param); });

// Every module of Llama can hold a shift once attention_bias and mlp_bias are on; export turns
// them on and writes every bias, zeros where nothing merged. Interpolation, which blends the
// base's weights, refuses the biases the base lacks.
TEST(SsfModel, LlamaExportTurnsTheBiasFlagsOn) {
  const auto lm = load("llama_tied");
  SsfConfig config = config_with(0.2);
  config.target_modules = {.form = ModuleSelector::Form::names, .names = {"q_proj", "up_proj"}};
  const SsfModel ssf = attach_ssf(*lm, config, 5);
  EXPECT_EQ(ssf.merged_config_changes(), (json{{"attention_bias", true}, {"mlp_bias", true}}));
  std::vector<std::string> names;
  for (const auto& [name, tensor] : ssf.merged_weights()) names.push_back(name);
  TempDir dir;
  ssf.save(*lm, dir / "adapter", "base");
  const RetuneRun interpolated =
      run_retune("interpolate --model " + hf_model_fixture("llama_tied").string() + " --adapter " +
                     (dir / "adapter").string() + " --alpha 0.5 --out " + (dir / "half").string(),
                 true);
  EXPECT_EQ(interpolated.exit_code, 1);
  EXPECT_THAT(interpolated.out, HasSubstr("merging gives weight "
                                          "model.layers.0.self_attn.q_proj.bias, which the base"));
  for (const char* name :
       {"model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias",
        "model.layers.0.self_attn.k_proj.bias", "model.layers.0.self_attn.o_proj.bias",
        "model.layers.1.mlp.up_proj.bias", "model.layers.1.mlp.down_proj.bias"}) {
    EXPECT_THAT(names, testing::Contains(std::string(name)));
  }
}

// Qwen2's o_proj and MLP have no bias and no flag for one: with unmergeable_shifts false their
// shifts (and post_attention_layernorm's, which would merge into gate/up) are not created.
TEST(SsfModel, Qwen2CreatesOnlyMergeableShifts) {
  const auto lm = load("qwen2");
  const SsfModel ssf = attach_ssf(*lm, config_with(0.02), 1);
  std::vector<std::string> without_shift;
  for (const SsfModule& module : ssf.modules()) {
    if (!module.pair->shift.defined() && module.name.starts_with("model.layers.0.")) {
      without_shift.push_back(module.name.substr(std::string("model.layers.0.").size()));
    }
  }
  EXPECT_EQ(without_shift,
            (std::vector<std::string>{"self_attn.o_proj", "post_attention_layernorm",
                                      "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"}));
  EXPECT_EQ(ssf.modules().size(), 2u * 9u);  // 7 linears and 2 norms a layer
  EXPECT_EQ(ssf.merged_config_changes(), json::object());
}

TEST(SsfModel, UnmergeableShiftsWorkUnmergedButExportRefuses) {
  TempDir dir;
  const auto lm = load("qwen2");
  const SsfModel ssf = attach_ssf(*lm, config_with(0.02, true), 1);
  for (const SsfModule& module : ssf.modules()) EXPECT_TRUE(module.pair->shift.defined());
  EXPECT_THAT(error_of([&] { ssf.merged_weights(); }),
              HasSubstr("model.layers.0.self_attn.o_proj: its SSF shift cannot merge: it needs a "
                        "bias in model.layers.0.self_attn.o_proj, which Qwen2ForCausalLM does not "
                        "have"));
  ssf.save(*lm, dir / "adapter", "base");
  const RetuneRun exported =
      run_retune("export --model " + hf_model_fixture("qwen2").string() + " --adapter " +
                     (dir / "adapter").string() + " --out " + (dir / "merged").string(),
                 true);
  EXPECT_EQ(exported.exit_code, 1);
  EXPECT_THAT(exported.out, HasSubstr("retune: error: model.layers.0.self_attn.o_proj: its SSF "
                                      "shift cannot merge"));
  EXPECT_FALSE(fs::exists(dir / "merged"));
  const RetuneRun forward = run_retune(
      "forward --model " + hf_model_fixture("qwen2").string() + " --adapter " +
      (dir / "adapter").string() + " --ids 1,2,3 --out " + (dir / "logits.safetensors").string());
  EXPECT_EQ(forward.exit_code, 0) << forward.out;
}

TEST(SsfModel, SavesAndLoadsBackBitwise) {
  TempDir dir;
  const auto lm = load("gpt2");
  SsfConfig config = config_with(0.1);
  config.target_modules = {.form = ModuleSelector::Form::regex, .regex = ".*(ln_1|c_fc|c_attn)"};
  const SsfModel ssf = attach_ssf(*lm, config, 9);
  ASSERT_EQ(ssf.modules().size(), 6u);
  ssf.save(*lm, dir / "adapter", "gpt2-base");
  const json saved = read_json_file(dir / "adapter/adapter_config.json");
  EXPECT_EQ(
      saved,
      (json{{"base_model_name_or_path", "gpt2-base"},
            {"init_std", 0.1},
            {"peft_type", "SSF"},
            {"target_modules",
             {"transformer.h.0.ln_1", "transformer.h.0.attn.c_attn", "transformer.h.0.mlp.c_fc",
              "transformer.h.1.ln_1", "transformer.h.1.attn.c_attn", "transformer.h.1.mlp.c_fc"}},
            {"task_type", "CAUSAL_LM"},
            {"unmergeable_shifts", false}}));
  const SafetensorsFile file = SafetensorsFile::open(dir / "adapter/adapter_model.safetensors");
  EXPECT_EQ(file.tensor("base_model.model.transformer.h.0.ln_1.ssf_scale").shape(), Shape({64}));
  EXPECT_EQ(file.tensor("base_model.model.transformer.h.0.mlp.c_fc.ssf_shift").shape(),
            Shape({128}));
  const auto fresh = load("gpt2");
  const std::unique_ptr<TrainedAdapter> loaded = load_adapter(*fresh, dir / "adapter");
  const std::vector<AdapterParameter> a = ssf.parameters(), b = loaded->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].value.to_f32_vector(), b[i].value.to_f32_vector()) << a[i].name;
  }
  EXPECT_EQ(fresh->forward(ids()).to_f32_vector(), lm->forward(ids()).to_f32_vector());
}

// A saved qwen2 adapter (every module) with one file changed, loaded onto a fresh model.
class SsfFolderErrors : public testing::Test {
 protected:
  void SetUp() override {
    const auto lm = load("qwen2");
    attach_ssf(*lm, config_with(0.02), 1).save(*lm, dir / "adapter", "base");
    const SafetensorsFile file = SafetensorsFile::open(dir / "adapter/adapter_model.safetensors");
    for (const std::string& name : file.names()) {
      tensors.emplace_back(name, file.tensor(name).clone());
    }
  }
  void write_tensors(const NamedTensors& changed) {
    write_safetensors(dir / "adapter/adapter_model.safetensors", changed, {{"format", "pt"}});
  }
  void write_config(const json& config) {
    write_file(dir / "adapter/adapter_config.json", config.dump(2));
  }
  std::string error() {
    const auto lm = load("qwen2");
    return error_of([&] { load_adapter(*lm, dir / "adapter"); });
  }
  TempDir dir;
  NamedTensors tensors;
};

TEST_F(SsfFolderErrors, WrongShape) {
  for (auto& [name, tensor] : tensors) {
    if (name == "base_model.model.model.layers.0.input_layernorm.ssf_scale") {
      tensor = Tensor::zeros({3}, DType::f32);
    }
  }
  write_tensors(tensors);
  EXPECT_THAT(error(), HasSubstr("model.layers.0.input_layernorm.ssf_scale"));
  EXPECT_THAT(error(), HasSubstr("adapter_model.safetensors"));
}

TEST_F(SsfFolderErrors, UnknownModule) {
  tensors.emplace_back("base_model.model.model.layers.9.self_attn.q_proj.ssf_scale",
                       Tensor::zeros({64}, DType::f32));
  write_tensors(tensors);
  EXPECT_THAT(error(), HasSubstr("tensor \"base_model.model.model.layers.9.self_attn.q_proj."
                                 "ssf_scale\": the model has no module"));
}

TEST_F(SsfFolderErrors, ShiftThatIsNotCreated) {
  tensors.emplace_back("base_model.model.model.layers.0.mlp.down_proj.ssf_shift",
                       Tensor::zeros({64}, DType::f32));
  write_tensors(tensors);
  EXPECT_THAT(error(), HasSubstr("module \"model.layers.0.mlp.down_proj\" has no shift"));
}

TEST_F(SsfFolderErrors, NotAnSsfTensor) {
  tensors.emplace_back("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight",
                       Tensor::zeros({64}, DType::f32));
  write_tensors(tensors);
  EXPECT_THAT(error(), HasSubstr("is not an SSF tensor"));
}

TEST_F(SsfFolderErrors, MissingTensor) {
  NamedTensors fewer;
  for (auto& entry : tensors) {
    if (entry.first != "base_model.model.model.layers.1.self_attn.v_proj.ssf_shift") {
      fewer.push_back(entry);
    }
  }
  write_tensors(fewer);
  EXPECT_THAT(error(), HasSubstr("model.layers.1.self_attn.v_proj.ssf_shift"));
}

TEST_F(SsfFolderErrors, BadConfigFields) {
  json config = read_json_file(dir / "adapter/adapter_config.json");
  config["target_modules"] = {"model.norm"};
  write_config(config);
  EXPECT_THAT(error(), HasSubstr("adapter_config.json: SSF target_modules: no module SSF can "
                                 "adapt is named \"model.norm\""));
  EXPECT_THAT(error(), HasSubstr("not the final norm"));
  config["target_modules"] = nullptr;
  config["init_std"] = -1;
  write_config(config);
  EXPECT_THAT(error(), HasSubstr("field \"init_std\" must be a number >= 0"));
  config["init_std"] = 0.02;
  config["lora_alpha"] = 8;
  write_config(config);
  EXPECT_THAT(error(), HasSubstr("lora_alpha"));
}

}  // namespace
}  // namespace retune::adapters
