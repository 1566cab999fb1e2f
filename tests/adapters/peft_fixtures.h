// The PEFT 0.21.2 fixtures (tests/fixtures/peft, made by tools/fixtures/make_peft_fixtures.py;
// tools/fixtures/README.md describes them) as the adapter tests read them.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/lora_model.h"
#include "core/tensor.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "io/safetensors_writer.h"
#include "model/causal_lm.h"
#include "model/token_batch.h"
#include "support/model_parity.h"

namespace retune::adapters {

// tests/fixtures/peft/<name>.
inline std::filesystem::path peft_fixture(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "peft" / name;
}

inline const nlohmann::json& peft_metadata() {
  static const nlohmann::json metadata = read_json_file(peft_fixture("metadata.json"));
  return metadata;
}

// "llama_gqa_untied/lora", ...: the cases that trained (every model and method).
inline std::vector<std::string> peft_training_cases() {
  std::vector<std::string> cases;
  for (const char* model : {"llama_gqa_untied", "qwen2", "qwen3", "gpt2"}) {
    for (const char* method : {"lora", "rslora", "dora"}) {
      cases.push_back(std::string(model) + "/" + method);
    }
  }
  return cases;
}

// The training cases and "llama_gqa_untied/lora_patterns".
inline std::vector<std::string> peft_cases() {
  std::vector<std::string> cases = peft_training_cases();
  cases.push_back("llama_gqa_untied/lora_patterns");
  return cases;
}

// The base model a case adapts, freshly loaded.
inline std::unique_ptr<model::CausalLm> peft_base_model(const std::string& name) {
  return model::load_causal_lm(
      hf_model_fixture(peft_metadata()["cases"][name]["model"].get<std::string>()));
}

// The batch of a fixture file holding input_ids and transformers' labels, with retune's labels:
// transformers' loss shifts them, so position t predicts labels[t + 1]; the last position is
// unscored.
inline model::TokenBatch hf_labelled_batch(const std::filesystem::path& path) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  const Tensor ids = file.tensor("input_ids").to(DType::i32).contiguous();
  const Tensor hf_labels = file.tensor("labels").to(DType::i32).contiguous();
  Tensor labels = Tensor::empty(hf_labels.shape(), DType::i32);
  const int32_t* in = hf_labels.data<int32_t>();
  int32_t* out = labels.mutable_data<int32_t>();
  const int64_t T = labels.size(1);
  for (int64_t i = 0; i < labels.numel(); ++i) out[i] = i % T == T - 1 ? -100 : in[i + 1];
  return {ids, labels, Tensor(), Tensor()};
}

// A case's batch (hf_labelled_batch).
inline model::TokenBatch peft_batch(const std::string& name) {
  return hf_labelled_batch(peft_fixture(name) / "batch.safetensors");
}

// The tensors of a PEFT adapter file (views of the file).
inline NamedTensors adapter_tensors(const std::filesystem::path& file) {
  const SafetensorsFile adapter = SafetensorsFile::open(file);
  NamedTensors tensors;
  for (const std::string& name : adapter.names()) tensors.emplace_back(name, adapter.tensor(name));
  return tensors;
}

// `tensors` with the one named `key` replaced by (or added as) `value`.
inline NamedTensors with_tensor(NamedTensors tensors, const std::string& key, const Tensor& value) {
  std::erase_if(tensors, [&](const auto& entry) { return entry.first == key; });
  tensors.emplace_back(key, value);
  return tensors;
}

// The modules, their shapes, ranks and scalings against `modules`: the fixture's per-module rows
// in module_fields order (base_class, in, out, has_bias, fan_in_fan_out, r, alpha, s), from a
// case's metadata or a retune_adapters case's info.json.
inline void expect_modules_as_peft(const LoraModel& lora, const nlohmann::json& modules) {
  ASSERT_EQ(lora.modules().size(), modules.size());
  for (const LoraModule& module : lora.modules()) {
    SCOPED_TRACE(module.site.name);
    ASSERT_TRUE(modules.contains(module.site.name));
    const nlohmann::json& row = modules[module.site.name];
    EXPECT_EQ(module.site.in_features(), row[1].get<int64_t>());
    EXPECT_EQ(module.site.out_features(), row[2].get<int64_t>());
    EXPECT_EQ(module.site.conv1d, row[4].get<bool>());
    EXPECT_EQ(module.lora->parameters()[0].value.size(0), row[5].get<int64_t>());  // A [r, in]
    EXPECT_FLOAT_EQ(module.lora->scaling(), row[7].get<float>());
  }
}

// "test_name_safe" for a case name ("llama_gqa_untied/lora" -> "llama_gqa_untied_lora").
inline std::string case_test_name(std::string name) {
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  return name;
}

}  // namespace retune::adapters
