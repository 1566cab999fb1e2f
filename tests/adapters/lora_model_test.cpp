// LoraModel's adapter folders: saved as PEFT saves them (the same safetensors bytes), loaded back
// bitwise, replaced atomically, and every malformed folder refused with a message naming the
// file and the tensor, leaving the model as it was.
#include "adapters/lora_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/random_tensor.h"
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

std::unique_ptr<model::CausalLm> llama() {
  return model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
}

// A folder with `config_from`'s adapter_config.json and these tensors.
void write_adapter(const fs::path& folder, const fs::path& config_from,
                   const NamedTensors& tensors) {
  fs::create_directories(folder);
  fs::copy_file(config_from / "adapter_config.json", folder / "adapter_config.json",
                fs::copy_options::overwrite_existing);
  write_safetensors(folder / "adapter_model.safetensors", tensors, {{"format", "pt"}});
}

TEST(LoraModel, SavesWhatPeftSaved) {
  for (const std::string& name : peft_cases()) {
    SCOPED_TRACE(name);
    const json& meta = peft_metadata()["cases"][name];
    const fs::path initial = peft_fixture(name) / "initial";
    const auto lm = peft_base_model(name);
    TempDir dir;
    save_lora(load_lora(*lm, initial), *lm, dir / "adapter", meta["model_dir"].get<std::string>());
    EXPECT_EQ(folder_listing(dir.path()), std::vector<std::string>{"adapter"});
    EXPECT_EQ(read_file(dir / "adapter/adapter_model.safetensors"),
              read_file(initial / "adapter_model.safetensors"));
    // The same config but for target_modules, which is the resolved list of full names.
    json saved = read_json_file(dir / "adapter/adapter_config.json");
    json peft = read_json_file(initial / "adapter_config.json");
    auto targets = saved["target_modules"].get<std::vector<std::string>>();
    std::sort(targets.begin(), targets.end());
    EXPECT_EQ(targets, meta["target_modules_resolved"].get<std::vector<std::string>>());
    saved.erase("target_modules");
    peft.erase("target_modules");
    EXPECT_EQ(saved, peft);
  }
}

// move_to takes each module's weight from the model it is handed, by name: a model without one
// of its modules is refused, naming it.
TEST(LoraModel, MoveToNamesAModuleTheModelLacks) {
  LoraConfig config;
  config.target_modules = {.form = ModuleSelector::Form::names, .names = {"q_proj"}};
  const auto lm = llama();
  LoraModel lora = attach_lora(*lm, config, 7);
  lora.move_to(*lm, Device::cpu());
  const std::unique_ptr<model::CausalLm> gpt2 = model::load_causal_lm(hf_model_fixture("gpt2"));
  EXPECT_EQ(error_of([&] { lora.move_to(*gpt2, Device::cpu()); }),
            "LoraModel::move_to: the model has no linear \"model.layers.0.self_attn.q_proj\"");
}

TEST(LoraModel, LoadsWhatItSavedBitwise) {
  LoraConfig config;
  config.r = 3;
  config.lora_alpha = 5;
  config.use_dora = true;
  config.init_lora_weights = LoraInit::gaussian;
  config.target_modules = {.form = ModuleSelector::Form::names, .names = {"q_proj", "down_proj"}};
  const auto lm = llama();
  const LoraModel lora = attach_lora(*lm, config, 7);
  uint64_t seed = 100;
  for (const AdapterParameter& parameter : lora.parameters()) {
    parameter.value.copy_from(uniform_tensor(parameter.value.shape(), seed++));
  }
  TempDir dir;
  save_lora(lora, *lm, dir / "adapter", "base");
  const auto reloaded_lm = llama();
  const LoraModel reloaded = load_lora(*reloaded_lm, dir / "adapter");
  ASSERT_EQ(reloaded.parameters().size(), lora.parameters().size());
  for (size_t i = 0; i < lora.parameters().size(); ++i) {
    EXPECT_EQ(reloaded.parameters()[i].name, lora.parameters()[i].name);
    EXPECT_EQ(reloaded.parameters()[i].value.to_f32_vector(),
              lora.parameters()[i].value.to_f32_vector());
  }
  const Tensor ids = peft_batch("llama_gqa_untied/lora").input_ids;
  EXPECT_EQ(reloaded_lm->forward(ids).to_f32_vector(), lm->forward(ids).to_f32_vector());
}

TEST(LoraModel, ReplacesAnAdapterFolderButNothingElse) {
  const auto lm = llama();
  const LoraModel lora = load_lora(*lm, peft_fixture("llama_gqa_untied/lora/initial"));
  TempDir dir;
  save_lora(lora, *lm, dir / "adapter", "base");
  save_lora(lora, *lm, dir / "adapter", "base");
  EXPECT_EQ(folder_listing(dir / "adapter"),
            (std::vector<std::string>{"adapter_config.json", "adapter_model.safetensors"}));
  EXPECT_EQ(folder_listing(dir.path()), std::vector<std::string>{"adapter"});
  write_file(dir / "adapter/notes.txt", "mine");
  EXPECT_EQ(error_of([&] { save_lora(lora, *lm, dir / "adapter", "base"); }),
            (dir / "adapter").string() +
                ": holds notes.txt, which saving an adapter there would delete; choose an "
                "adapter folder or a new one");
  EXPECT_EQ(read_file(dir / "adapter/notes.txt"), "mine");
}

TEST(LoraModel, RefusesMalformedFoldersNamingTheFileAndTensor) {
  const fs::path lora_case = peft_fixture("llama_gqa_untied/lora/initial");
  const NamedTensors good = adapter_tensors(lora_case / "adapter_model.safetensors");
  const std::string q = "base_model.model.model.layers.0.self_attn.q_proj";
  TempDir dir;
  const fs::path file = dir / "adapter/adapter_model.safetensors";
  const auto load_error = [&](const fs::path& config_from, NamedTensors tensors) {
    write_adapter(dir / "adapter", config_from, tensors);
    const auto lm = llama();
    const std::string error = error_of([&] { load_lora(*lm, dir / "adapter"); });
    // Nothing was attached.
    const Tensor ids = peft_batch("llama_gqa_untied/lora").input_ids;
    EXPECT_EQ(lm->forward(ids).to_f32_vector(), llama()->forward(ids).to_f32_vector()) << error;
    return error;
  };
  const auto with = [&](const std::string& key, const Tensor& value) {
    return with_tensor(good, key, value);
  };

  EXPECT_EQ(load_error(lora_case, with(q + ".lora_A.weight", Tensor::zeros({4, 32}, DType::f32))),
            file.string() + ": tensor \"" + q + ".lora_A.weight\" has shape [4, 32], expected " +
                "[4, 64]");
  EXPECT_EQ(load_error(lora_case, with(q + ".lora_A.weight", Tensor::zeros({4, 64}, DType::i64))),
            file.string() + ": tensor \"" + q + ".lora_A.weight\" has dtype i64, expected a float");
  NamedTensors missing = good;
  std::erase_if(missing, [&](const auto& entry) { return entry.first == q + ".lora_B.weight"; });
  EXPECT_EQ(load_error(lora_case, missing),
            file.string() + ": missing tensor \"" + q + ".lora_B.weight\" (expected [64, 4])");
  EXPECT_EQ(
      load_error(lora_case, with(q + ".lora_magnitude_vector", Tensor::zeros({64}, DType::f32))),
      file.string() + ": tensor \"" + q +
          ".lora_magnitude_vector\" is DoRA's, but adapter_config.json has use_dora false");
  const std::string layer7 = "base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight";
  EXPECT_EQ(load_error(lora_case, with(layer7, Tensor::zeros({4, 64}, DType::f32))),
            file.string() + ": tensor \"" + layer7 +
                "\": the model has no linear module \"model.layers.7.self_attn.q_proj\" (an "
                "adapter for another architecture or size?)");
  EXPECT_EQ(load_error(lora_case, with("base_model.model.lm_head.weight",
                                       Tensor::zeros({320, 64}, DType::f32))),
            file.string() +
                ": tensor \"base_model.model.lm_head.weight\" is not a LoRA tensor retune reads "
                "(expected base_model.model.<module>.lora_A.weight, .lora_B.weight or "
                ".lora_magnitude_vector, or a weight modules_to_save selects)");
  // The patterns case targets layer 1's q_proj and v_proj only.
  EXPECT_EQ(load_error(peft_fixture("llama_gqa_untied/lora_patterns/initial"), good),
            file.string() +
                ": tensor \"base_model.model.model.layers.0.mlp.down_proj.lora_A.weight\": module "
                "\"model.layers.0.mlp.down_proj\" is not one adapter_config.json targets");

  write_file(dir / "adapter/adapter_config.json",
             R"({"peft_type": "LORA", "target_modules": ["model.layers.9.self_attn.q_proj"]})");
  EXPECT_EQ(error_of([&] { load_lora(*llama(), dir / "adapter"); }),
            (dir / "adapter/adapter_config.json").string() +
                ": LoRA target_modules: no module of the model is named "
                "\"model.layers.9.self_attn.q_proj\" or ends with "
                "\".model.layers.9.self_attn.q_proj\"; the model's linear modules are q_proj, "
                "k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (full names like "
                "\"model.layers.0.self_attn.q_proj\"; \"all-linear\" selects them all)");
  fs::rename(file, dir / "adapter/adapter_model.bin");
  EXPECT_EQ(error_of([&] { load_lora(*llama(), dir / "adapter"); }),
            (dir / "adapter/adapter_model.bin").string() +
                ": a PyTorch pickle file; retune reads adapters as safetensors (save them with "
                "safe_serialization=True)");
}

}  // namespace
}  // namespace retune::adapters
