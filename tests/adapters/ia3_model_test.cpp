// Ia3Model's adapter folders and configs, and load_adapter's choice of method: a GPT-2 (IA)³
// adapter saved and loaded back bitwise, with the config PEFT would write; every malformed folder
// and unsupported config refused with a message naming the file and the tensor or field, leaving
// the model as it was.
#include "adapters/ia3_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/lora_model.h"
#include "core/random_tensor.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "io/safetensors_writer.h"
#include "peft_fixtures.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::HasSubstr;

fs::path ia3_fixture(const std::string& model) {
  return fs::path(RETUNE_FIXTURES_DIR) / "peft_methods" / model / "ia3/adapter";
}

std::unique_ptr<model::CausalLm> load(const std::string& name) {
  return model::load_causal_lm(hf_model_fixture(name));
}

const Tensor& ids() {
  static const Tensor tokens =
      Tensor::from_vector<int32_t>({1, 6}, DType::i32, std::vector<int32_t>{5, 17, 3, 42, 8, 11});
  return tokens;
}

// GPT-2's Conv1D modules, biases everywhere, all-linear and modules_to_save: saved and loaded
// back, the vectors bitwise, the model's function unchanged.
TEST(Ia3Model, SavesAndLoadsBackBitwise) {
  Ia3Config config;
  config.target_modules = {.form = ModuleSelector::Form::all_linear};
  config.exclude_modules = {.form = ModuleSelector::Form::names, .names = {"attn.c_proj"}};
  config.modules_to_save = {"ln_f"};
  const auto lm = load("gpt2");
  const Ia3Model ia3 = attach_ia3(*lm, config);
  ASSERT_EQ(ia3.modules().size(), 6u);  // c_attn, c_fc, mlp.c_proj in 2 layers
  EXPECT_EQ(ia3.saved_weights(),
            (std::vector<std::string>{"transformer.ln_f.weight", "transformer.ln_f.bias"}));
  uint64_t seed = 10;
  for (const AdapterParameter& p : ia3.parameters()) {
    p.value.copy_from(uniform_tensor(p.value.shape(), seed++, 0.5, 1.5));
  }
  TempDir dir;
  ia3.save(*lm, dir / "adapter", "base");
  const json saved = read_json_file(dir / "adapter/adapter_config.json");
  EXPECT_EQ(saved["peft_type"], "IA3");
  EXPECT_EQ(saved["fan_in_fan_out"], true);
  EXPECT_EQ(saved["target_modules"].size(), 8u);  // all-linear: every linear's full name
  EXPECT_EQ(saved["feedforward_modules"],
            json({"transformer.h.0.mlp.c_proj", "transformer.h.1.mlp.c_proj"}));
  EXPECT_EQ(saved["exclude_modules"], json({"attn.c_proj"}));
  EXPECT_EQ(saved["modules_to_save"], json({"ln_f"}));
  EXPECT_EQ(SafetensorsFile::open(dir / "adapter/adapter_model.safetensors")
                .tensor("base_model.model.transformer.h.1.mlp.c_proj.ia3_l")
                .shape(),
            Shape({1, 128}));

  const auto reloaded_lm = load("gpt2");
  const std::unique_ptr<TrainedAdapter> reloaded = load_adapter(*reloaded_lm, dir / "adapter");
  ASSERT_NE(dynamic_cast<const Ia3Model*>(reloaded.get()), nullptr);
  ASSERT_EQ(reloaded->parameters().size(), ia3.parameters().size());
  for (size_t i = 0; i < ia3.parameters().size(); ++i) {
    EXPECT_EQ(reloaded->parameters()[i].name, ia3.parameters()[i].name);
    EXPECT_EQ(reloaded->parameters()[i].value.to_f32_vector(),
              ia3.parameters()[i].value.to_f32_vector());
  }
  EXPECT_EQ(reloaded_lm->forward(ids()).to_f32_vector(), lm->forward(ids()).to_f32_vector());
  EXPECT_NE(lm->forward(ids()).to_f32_vector(), load("gpt2")->forward(ids()).to_f32_vector());
  // Conv1D merged weights keep the stored [in, out] layout; output-scaled modules merge a bias.
  const NamedTensors merged = reloaded->merged_weights();
  EXPECT_EQ(merged.front().first, "transformer.h.0.attn.c_attn.weight");
  EXPECT_EQ(merged.front().second.shape(), Shape({64, 192}));
  EXPECT_EQ(merged[1].first, "transformer.h.0.attn.c_attn.bias");
}

TEST(Ia3Model, RefusesMalformedFoldersNamingTheFileAndTensor) {
  const fs::path peft = ia3_fixture("llama_gqa_untied");
  const NamedTensors good = adapter_tensors(peft / "adapter_model.safetensors");
  const std::string k = "base_model.model.model.layers.0.self_attn.k_proj.ia3_l";
  TempDir dir;
  const fs::path file = dir / "adapter/adapter_model.safetensors";
  const auto load_error = [&](const NamedTensors& tensors, const std::string& config = "") {
    fs::create_directories(dir / "adapter");
    if (config.empty()) {
      fs::copy_file(peft / "adapter_config.json", dir / "adapter/adapter_config.json",
                    fs::copy_options::overwrite_existing);
    } else {
      write_file(dir / "adapter/adapter_config.json", config);
    }
    write_safetensors(file, tensors, {{"format", "pt"}});
    const auto lm = load("llama_gqa_untied");
    const std::string error = error_of([&] { load_adapter(*lm, dir / "adapter"); });
    EXPECT_EQ(lm->forward(ids()).to_f32_vector(),
              load("llama_gqa_untied")->forward(ids()).to_f32_vector())
        << error;
    return error;
  };
  const auto with = [&](const std::string& key, const Tensor& value) {
    return with_tensor(good, key, value);
  };

  EXPECT_EQ(load_error(with(k, Tensor::zeros({1, 32}, DType::f32))),
            file.string() + ": tensor \"" + k + "\" has shape [1, 32], expected [32, 1]");
  EXPECT_EQ(load_error(with(k, Tensor::zeros({32, 1}, DType::i32))),
            file.string() + ": tensor \"" + k + "\" has dtype i32, expected a float");
  NamedTensors missing = good;
  std::erase_if(missing, [&](const auto& entry) { return entry.first == k; });
  EXPECT_EQ(load_error(missing),
            file.string() + ": missing tensor \"" + k + "\" (expected [32, 1])");
  const std::string q = "base_model.model.model.layers.0.self_attn.q_proj";
  EXPECT_EQ(load_error(with(q + ".ia3_l", Tensor::zeros({64, 1}, DType::f32))),
            file.string() + ": tensor \"" + q +
                ".ia3_l\": module \"model.layers.0.self_attn.q_proj\" is not one "
                "adapter_config.json targets");
  EXPECT_EQ(load_error(with(q + ".lora_A.weight", Tensor::zeros({4, 64}, DType::f32))),
            file.string() + ": tensor \"" + q +
                ".lora_A.weight\" is not an IA3 tensor retune reads (expected "
                "base_model.model.<module>.ia3_l, or a weight modules_to_save selects)");
  const std::string layer7 = "base_model.model.model.layers.7.self_attn.k_proj.ia3_l";
  EXPECT_EQ(load_error(with(layer7, Tensor::zeros({32, 1}, DType::f32))),
            file.string() + ": tensor \"" + layer7 +
                "\": the model has no linear module \"model.layers.7.self_attn.k_proj\" (an "
                "adapter for another architecture or size?)");

  const std::string config_file = (dir / "adapter/adapter_config.json").string();
  EXPECT_EQ(
      load_error(good, R"({"peft_type": "LOHA", "r": 8})"),
      config_file +
          ": peft_type \"LOHA\" is not an adapter type retune loads (supported: \"LORA\" for "
          "LoRA and its variants, \"IA3\" for (IA)³, \"SSF\" for SSF, \"POLY\" for Poly and MHR)");
  EXPECT_EQ(
      load_error(good, R"({"target_modules": ["k_proj"]})"),
      config_file +
          ": missing field \"peft_type\" (the adapter's method: \"LORA\", \"IA3\", \"SSF\" or "
          "\"POLY\")");
  EXPECT_EQ(load_error(good, R"({"peft_type": "IA3", "target_modules": ["k_proj", "query"]})"),
            config_file +
                ": IA3 target_modules: no module of the model is named \"query\" or ends with "
                "\".query\"; the model's linear modules are q_proj, k_proj, v_proj, o_proj, "
                "gate_proj, up_proj, down_proj (full names like "
                "\"model.layers.0.self_attn.q_proj\"; \"all-linear\" selects them all)");
}

TEST(Ia3Config, ReadsPeftsFieldsAndRefusesWhatRetuneDoesNotSupport) {
  const auto parse = [](const std::string& text) {
    return parse_ia3_config(nlohmann::ordered_json::parse(text), "cfg.json");
  };
  const Ia3Config config = parse(R"({"peft_type": "IA3", "task_type": "CAUSAL_LM",
      "target_modules": "ALL-linear", "feedforward_modules": ".*down_proj",
      "exclude_modules": ["o_proj"], "fan_in_fan_out": true, "init_ia3_weights": false,
      "modules_to_save": ["lm_head"], "layers_to_transform": null, "use_dora": false})");
  EXPECT_EQ(config.target_modules.form, ModuleSelector::Form::all_linear);
  EXPECT_EQ(config.feedforward_modules.form, ModuleSelector::Form::regex);
  EXPECT_EQ(config.exclude_modules.names, std::vector<std::string>{"o_proj"});
  EXPECT_TRUE(config.fan_in_fan_out);
  EXPECT_FALSE(config.init_ia3_weights);
  EXPECT_EQ(config.modules_to_save, std::vector<std::string>{"lm_head"});
  const Ia3Config defaults = parse(R"({"peft_type": "IA3"})");
  EXPECT_EQ(defaults.target_modules.form, ModuleSelector::Form::none);
  EXPECT_EQ(defaults.feedforward_modules.form, ModuleSelector::Form::none);

  const std::pair<const char*, const char*> refused[] = {
      {R"({"peft_type": "LORA"})", "cfg.json: field \"peft_type\" must be \"IA3\", got \"LORA\""},
      {R"({"peft_type": "IA3", "task_type": "SEQ_2_SEQ_LM"})",
       "cfg.json: field \"task_type\" must be \"CAUSAL_LM\" or null (retune adapts causal LMs), "
       "got \"SEQ_2_SEQ_LM\""},
      {R"({"peft_type": "IA3", "layers_to_transform": [0]})",
       "cfg.json: field \"layers_to_transform\" must be null, false or empty (retune does not "
       "support it), got [0]"},
      {R"({"peft_type": "IA3", "target_modules": ["k_proj"], "feedforward_modules": ["down_proj"]})",
       "cfg.json: feedforward_modules must be a subset of target_modules (PEFT's IA3Config "
       "refuses it otherwise), but \"down_proj\" is not in target_modules"},
      {R"({"peft_type": "IA3", "fan_in_fan_out": "yes"})",
       "cfg.json: field \"fan_in_fan_out\" must be true or false, got \"yes\""},
      {R"({"peft_type": "IA3", "target_modules": "("})", "cfg.json: field \"target_modules\""},
  };
  for (const auto& [text, message] : refused) {
    EXPECT_THAT(error_of([&, &json_text = text] { parse(json_text); }), HasSubstr(message)) << text;
  }
}

// A feedforward_modules list entry is a plain suffix of the name (PEFT's key.endswith), unlike
// target_modules' dot-separated one; a regex must match the whole name.
TEST(Ia3Targets, FeedforwardEntriesArePlainSuffixes) {
  const auto lm = load("llama_gqa_untied");
  Ia3Config config;
  config.target_modules = {.form = ModuleSelector::Form::names, .names = {"up_proj", "down_proj"}};
  // The feed-forward targets' names.
  const auto feedforward = [&](const ModuleSelector& selector) {
    config.feedforward_modules = selector;
    const Ia3Model ia3 = attach_ia3(*lm, config);
    std::vector<std::string> names;
    for (const Ia3Module& module : ia3.modules()) {
      if (module.ia3->feedforward()) names.push_back(module.site.name);
    }
    return names;
  };
  EXPECT_EQ(
      feedforward({.form = ModuleSelector::Form::names, .names = {"n_proj"}}),
      (std::vector<std::string>{"model.layers.0.mlp.down_proj", "model.layers.1.mlp.down_proj"}));
  EXPECT_TRUE(feedforward({.form = ModuleSelector::Form::regex, .regex = "up_proj"}).empty());
  EXPECT_EQ(feedforward({.form = ModuleSelector::Form::regex, .regex = ".*1.mlp.up_proj"}),
            std::vector<std::string>{"model.layers.1.mlp.up_proj"});
  EXPECT_TRUE(feedforward({.form = ModuleSelector::Form::names, .names = {}}).empty());
}

// load_adapter reads LoRA folders as load_lora does.
TEST(LoadAdapter, ReadsLoraFolders) {
  const fs::path lora = fs::path(RETUNE_FIXTURES_DIR) / "peft/llama_gqa_untied/lora/initial";
  const auto generic_lm = load("llama_gqa_untied");
  const std::unique_ptr<TrainedAdapter> adapter = load_adapter(*generic_lm, lora);
  ASSERT_NE(dynamic_cast<const LoraModel*>(adapter.get()), nullptr);
  const auto lora_lm = load("llama_gqa_untied");
  load_lora(*lora_lm, lora);
  EXPECT_EQ(generic_lm->forward(ids()).to_f32_vector(), lora_lm->forward(ids()).to_f32_vector());
  EXPECT_EQ(adapter_peft_type(lora), "LORA");
}

}  // namespace
}  // namespace retune::adapters
