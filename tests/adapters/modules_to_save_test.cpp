// modules_to_save: PEFT's suffix rule for selecting modules, the tied head that gets its own copy,
// and adapter folders that save, load and refuse the fully trained weights.
#include "adapters/modules_to_save.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/lora_model.h"
#include "core/random_tensor.h"
#include "io/safetensors_file.h"
#include "io/safetensors_writer.h"
#include "model/trainable_weights.h"
#include "peft_fixtures.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using Names = std::vector<std::string>;

std::unique_ptr<model::CausalLm> load(const std::string& name) {
  return model::load_causal_lm(hf_model_fixture(name));
}

LoraConfig lora_config(Names targets, Names modules_to_save) {
  LoraConfig config;
  config.r = 2;
  config.target_modules = {.form = ModuleSelector::Form::names, .names = std::move(targets)};
  config.modules_to_save = std::move(modules_to_save);
  return config;
}

TEST(ModulesToSave, SelectsEveryModuleEndingWithAnEntry) {
  const auto llama = load("llama_gqa_untied");
  EXPECT_EQ(modules_to_save_weights(*llama, {"norm"}, {}),
            (Names{"model.layers.0.input_layernorm.weight",
                   "model.layers.0.post_attention_layernorm.weight",
                   "model.layers.1.input_layernorm.weight",
                   "model.layers.1.post_attention_layernorm.weight", "model.norm.weight"}));
  EXPECT_EQ(modules_to_save_weights(*llama, {"lm_head", "layers.1.mlp.up_proj"}, {}),
            (Names{"model.layers.1.mlp.up_proj.weight", "lm_head.weight"}));
  const auto gpt2 = load("gpt2");  // tied
  EXPECT_EQ(modules_to_save_weights(*gpt2, {"ln_f", "lm_head"}, {}),
            (Names{"transformer.ln_f.weight", "transformer.ln_f.bias", "lm_head.weight"}));
  const auto qwen2 = load("qwen2");  // tied, biases on q, k, v
  EXPECT_EQ(
      modules_to_save_weights(*qwen2, {"layers.0.self_attn.k_proj"}, {}),
      (Names{"model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.k_proj.bias"}));
}

TEST(ModulesToSave, RefusesAnEntryThatSelectsNothingOrALoraTarget) {
  const auto gpt2 = load("gpt2");
  EXPECT_EQ(error_of([&] { modules_to_save_weights(*gpt2, {"score"}, {}); }),
            "modules_to_save: \"score\" is the end of no module name of the model (its modules: "
            "transformer.wte, transformer.wpe, transformer.h.0.ln_1, transformer.h.0.attn.c_attn, "
            "transformer.h.0.attn.c_proj, transformer.h.0.ln_2, transformer.h.0.mlp.c_fc, "
            "transformer.h.0.mlp.c_proj, transformer.h.1.ln_1, transformer.h.1.attn.c_attn, "
            "transformer.h.1.attn.c_proj, transformer.h.1.ln_2, transformer.h.1.mlp.c_fc, "
            "transformer.h.1.mlp.c_proj, transformer.ln_f, lm_head)");
  const auto llama = load("llama_gqa_untied");
  EXPECT_EQ(
      error_of([&] { attach_lora(*llama, lora_config({"q_proj"}, {"q_proj"}), 1); }),
      "modules_to_save: module \"model.layers.0.self_attn.q_proj\" is also an adapter target; "
      "a module either trains in full or carries an adapter");
}

TEST(ModulesToSave, ATiedHeadGetsItsOwnCopy) {
  const auto qwen2 = load("qwen2");
  const std::vector<float> embedding = qwen2->output_head().to_f32_vector();
  const LoraModel lora = attach_lora(*qwen2, lora_config({"q_proj"}, {"lm_head"}), 1);
  EXPECT_EQ(lora.saved_weights(), Names{"lm_head.weight"});
  EXPECT_FALSE(qwen2->config().tie_word_embeddings);
  const auto named = model::named_weights(*qwen2);
  ASSERT_EQ(named.back().first, "lm_head.weight");
  EXPECT_NE(named.back().second.data<float>(), named.front().second.data<float>());
  EXPECT_EQ(named.back().second.to_f32_vector(), embedding);
  EXPECT_EQ(named.front().second.to_f32_vector(), embedding);
}

// Attaches a LoRA saving `saved` to `model_name`, gives every saved weight new values and saves
// the adapter to `folder`; returns the model.
std::unique_ptr<model::CausalLm> trained(const std::string& model_name, const Names& saved,
                                         const fs::path& folder) {
  auto lm = load(model_name);
  const std::string target = model_name == "gpt2" ? "c_attn" : "v_proj";
  const LoraModel lora = attach_lora(*lm, lora_config({target}, saved), 3);
  uint64_t seed = 10;
  for (const AdapterParameter& p : lora.parameters()) {
    p.value.copy_from(uniform_tensor(p.value.shape(), seed++));
  }
  for (const std::string& name : lora.saved_weights()) {
    for (const auto& [weight_name, weight] : model::named_weights(*lm)) {
      if (weight_name == name) model::set_weight(*lm, name, uniform_tensor(weight.shape(), seed++));
    }
  }
  save_lora(lora, *lm, folder, "base");
  return lm;
}

TEST(ModulesToSave, SavesAndLoadsTheWeightsUnderPeftsKeys) {
  for (const auto& [model_name, saved] :
       std::vector<std::pair<std::string, Names>>{{"qwen2", {"lm_head", "model.norm"}},
                                                  {"gpt2", {"lm_head", "ln_f"}},
                                                  {"llama_gqa_untied", {"lm_head"}}}) {
    SCOPED_TRACE(model_name);
    TempDir dir;
    const auto lm = trained(model_name, saved, dir / "adapter");
    const SafetensorsFile file = SafetensorsFile::open(dir / "adapter/adapter_model.safetensors");
    EXPECT_TRUE(file.has("base_model.model.lm_head.weight"));
    EXPECT_EQ(read_json_file(dir / "adapter/adapter_config.json")["modules_to_save"],
              nlohmann::json(saved));
    const auto reloaded = load(model_name);
    const LoraModel lora = load_lora(*reloaded, dir / "adapter");
    EXPECT_EQ(lora.config().modules_to_save, saved);
    EXPECT_FALSE(reloaded->config().tie_word_embeddings);
    const std::vector<int32_t> tokens = {3, 17, 42, 5, 99, 7};
    const Tensor ids = Tensor::from_vector<int32_t>({1, 6}, DType::i32, tokens);
    EXPECT_EQ(reloaded->forward(ids).to_f32_vector(), lm->forward(ids).to_f32_vector());
  }
}

TEST(ModulesToSave, RefusesAMissingOrMisshapenWeightLeavingTheModel) {
  TempDir dir;
  trained("qwen2", {"lm_head"}, dir / "good");
  const fs::path file = dir / "adapter/adapter_model.safetensors";
  const auto load_error = [&](const std::string& drop, const NamedTensors& add) {
    const SafetensorsFile good = SafetensorsFile::open(dir / "good/adapter_model.safetensors");
    NamedTensors tensors;
    for (const std::string& name : good.names()) {
      if (name != drop) tensors.emplace_back(name, good.tensor(name));
    }
    tensors.insert(tensors.end(), add.begin(), add.end());
    fs::create_directories(dir / "adapter");
    fs::copy_file(dir / "good/adapter_config.json", dir / "adapter/adapter_config.json",
                  fs::copy_options::overwrite_existing);
    write_safetensors(file, tensors, {{"format", "pt"}});
    const auto lm = load("qwen2");
    const std::string error = error_of([&] { load_lora(*lm, dir / "adapter"); });
    EXPECT_TRUE(lm->config().tie_word_embeddings) << error;
    return error;
  };
  const std::string head = "base_model.model.lm_head.weight";
  EXPECT_EQ(load_error(head, {}),
            file.string() + ": missing tensor \"" + head + "\" (expected [320, 64])");
  EXPECT_EQ(load_error(head, {{head, Tensor::zeros({64, 320}, DType::f32)}}),
            file.string() + ": tensor \"" + head + "\" has shape [64, 320], expected [320, 64]");
}

}  // namespace
}  // namespace retune::adapters
