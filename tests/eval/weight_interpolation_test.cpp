// WiSE-FT interpolation on the fixture models: α = 0 gives the base's logits and α = 1 the tuned
// model's (a perturbed copy of the base, or the base with a PEFT adapter merged) exactly, α = 0.5
// the midpoint weights, the written folder the model evaluated in memory; and the errors for
// models that do not pair.
#include "eval/weight_interpolation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "adapters/lora_model.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "model/trainable_weights.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/perturbed_model.h"
#include "support/temp_dir.h"

namespace retune::eval {
namespace {

std::filesystem::path peft_case(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "peft" / name;
}

// The logits of the fixture's reference input_ids through `model`.
std::vector<float> logits_of(const model::CausalLm& model, const std::string& fixture) {
  const Tensor ids = SafetensorsFile::open(hf_model_fixture(fixture) / "reference.safetensors")
                         .tensor("input_ids")
                         .to(DType::i32);
  return model.forward(ids).to_f32_vector();
}

std::map<std::string, std::vector<float>> values_by_name(const NamedTensors& weights) {
  std::map<std::string, std::vector<float>> values;
  for (const auto& [name, weight] : weights) values[name] = weight.to_f32_vector();
  return values;
}

float worst_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

class TunedModelInterpolation : public testing::TestWithParam<std::string> {};

TEST_P(TunedModelInterpolation, EndsAreTheModelsAndTheMiddleIsTheMidpoint) {
  const std::string fixture = GetParam();
  const std::filesystem::path base = hf_model_fixture(fixture);
  TempDir dir;
  write_perturbed_model(base, dir / "tuned", 7);
  const WeightInterpolation interpolation =
      WeightInterpolation::with_tuned_model(base, dir / "tuned");

  const std::vector<float> base_logits = logits_of(*model::load_causal_lm(base), fixture);
  const std::vector<float> tuned_logits = logits_of(*model::load_causal_lm(dir / "tuned"), fixture);
  EXPECT_GT(worst_difference(base_logits, tuned_logits), 1e-3f);
  EXPECT_EQ(logits_of(*interpolation.model_at(0), fixture), base_logits);
  EXPECT_EQ(logits_of(*interpolation.model_at(1), fixture), tuned_logits);

  const auto base_weights = values_by_name(folder_tensors(base));
  const auto tuned_weights = values_by_name(folder_tensors(dir / "tuned"));
  const NamedTensors middle = interpolation.weights_at(0.5);
  ASSERT_EQ(middle.size(), base_weights.size());
  for (const auto& [name, weight] : middle) {
    EXPECT_EQ(weight.dtype(), SafetensorsFile::open(base / "model.safetensors").info(name).dtype)
        << name;
    const std::vector<float> got = weight.to_f32_vector();
    const std::vector<float>& b = base_weights.at(name);
    const std::vector<float>& t = tuned_weights.at(name);
    std::vector<float> midpoint(b.size());
    for (size_t i = 0; i < b.size(); ++i) midpoint[i] = (b[i] + t[i]) / 2;
    if (weight.dtype() == DType::f32) {
      EXPECT_EQ(got, midpoint) << name;
    } else {  // bf16 rounds the midpoint to 8 bits of mantissa
      for (size_t i = 0; i < b.size(); ++i) {
        EXPECT_NEAR(got[i], midpoint[i], std::abs(midpoint[i]) / 128 + 1e-30f) << name;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TunedModelInterpolation,
                         testing::Values("qwen2", "gpt2", "llama_bf16", "llama_gqa_untied"));

TEST(WeightInterpolation, WrittenFolderIsTheModelEvaluated) {
  TempDir dir;
  const std::filesystem::path base = hf_model_fixture("qwen2");
  write_perturbed_model(base, dir / "tuned", 3);
  const WeightInterpolation interpolation =
      WeightInterpolation::with_tuned_model(base, dir / "tuned");
  interpolation.write_model_folder(0.25, dir / "out");
  EXPECT_EQ(logits_of(*model::load_causal_lm(dir / "out"), "qwen2"),
            logits_of(*interpolation.model_at(0.25), "qwen2"));
  EXPECT_EQ(read_file(dir / "out" / "config.json"), read_file(base / "config.json"));
}

TEST(WeightInterpolation, RefusesAlphaOutsideTheUnitInterval) {
  TempDir dir;
  const std::filesystem::path base = hf_model_fixture("qwen2");
  write_perturbed_model(base, dir / "tuned", 3);
  const WeightInterpolation interpolation =
      WeightInterpolation::with_tuned_model(base, dir / "tuned");
  EXPECT_EQ(error_of([&] { interpolation.weights_at(1.5); }), "alpha must be in [0, 1], got 1.5");
  EXPECT_EQ(error_of([&] { interpolation.write_model_folder(-0.5, dir / "out"); }),
            "alpha must be in [0, 1], got -0.5");
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

TEST(WeightInterpolation, NamesTheWeightModelsDoNotShare) {
  TempDir dir;
  const std::filesystem::path untied = hf_model_fixture("llama_gqa_untied");
  const std::filesystem::path tied = hf_model_fixture("llama_tied");
  EXPECT_EQ(error_of([&] { WeightInterpolation::with_tuned_model(untied, tied); }),
            tied.string() +
                ": weight model.layers.0.self_attn.k_proj.weight of shape [16, 64], but the base " +
                untied.string() + " has shape [32, 64]");
  EXPECT_EQ(
      error_of([&] {
        WeightInterpolation::with_tuned_model(hf_model_fixture("qwen2"), hf_model_fixture("gpt2"));
      }),
      (hf_model_fixture("gpt2") / "config.json").string() +
          ": architecture GPT2LMHeadModel, but the base " + hf_model_fixture("qwen2").string() +
          " is Qwen2ForCausalLM");
  // A tuned model that unties the head has a weight the tied base lacks.
  const std::filesystem::path qwen2 = hf_model_fixture("qwen2");
  NamedTensors weights = folder_tensors(qwen2);
  weights.emplace_back(
      "lm_head.weight",
      SafetensorsFile::open(qwen2 / "model.safetensors").tensor("model.embed_tokens.weight"));
  write_model_folder(qwen2, weights, dir / "untied", {{"tie_word_embeddings", false}});
  EXPECT_EQ(error_of([&] { WeightInterpolation::with_tuned_model(qwen2, dir / "untied"); }),
            (dir / "untied").string() + ": weight lm_head.weight, which the base " +
                qwen2.string() + " lacks");
  EXPECT_EQ(error_of([&] { WeightInterpolation::with_tuned_model(dir / "untied", qwen2); }),
            qwen2.string() + ": no weight lm_head.weight, which the base " +
                (dir / "untied").string() + " has");
  EXPECT_NE(error_of([&] {
              WeightInterpolation::with_tuned_model(qwen2, dir / "none");
            }).find((dir / "none").string()),
            std::string::npos);
}

// The base with the adapter's merged weights set in it: what α = 1 must equal.
std::unique_ptr<model::CausalLm> merged_model(const std::filesystem::path& base,
                                              const std::filesystem::path& adapter) {
  const std::unique_ptr<model::CausalLm> with_adapter = model::load_causal_lm(base);
  const adapters::LoraModel lora = adapters::load_lora(*with_adapter, adapter);
  std::unique_ptr<model::CausalLm> merged = model::load_causal_lm(base);
  for (const auto& [name, weight] : lora.merged_weights()) model::set_weight(*merged, name, weight);
  return merged;
}

class AdapterInterpolation : public testing::TestWithParam<std::string> {};

TEST_P(AdapterInterpolation, EndsAreTheBaseAndTheMergedModel) {
  const std::string name = GetParam();
  const std::string fixture = name.substr(0, name.find('/'));
  const std::filesystem::path base = hf_model_fixture(fixture);
  const std::filesystem::path adapter = peft_case(name) / "after_3_steps";
  const WeightInterpolation interpolation = WeightInterpolation::with_adapter(base, adapter);

  EXPECT_EQ(logits_of(*interpolation.model_at(0), fixture),
            logits_of(*model::load_causal_lm(base), fixture));
  EXPECT_EQ(logits_of(*interpolation.model_at(1), fixture),
            logits_of(*merged_model(base, adapter), fixture));
  // The merged model is the adapter applied on the fly, up to rounding.
  const std::unique_ptr<model::CausalLm> on_the_fly = model::load_causal_lm(base);
  adapters::load_lora(*on_the_fly, adapter);
  EXPECT_LT(worst_difference(logits_of(*interpolation.model_at(1), fixture),
                             logits_of(*on_the_fly, fixture)),
            1e-4f);

  // W0 + 0.5·ΔW for every adapted weight; the others are the base's.
  const std::unique_ptr<model::CausalLm> scratch = model::load_causal_lm(base);
  const auto merged = values_by_name(adapters::load_lora(*scratch, adapter).merged_weights());
  const auto base_weights = values_by_name(folder_tensors(base));
  for (const auto& [weight_name, weight] : interpolation.weights_at(0.5)) {
    const std::vector<float>& w0 = base_weights.at(weight_name);
    const auto tuned = merged.find(weight_name);
    if (tuned == merged.end()) {
      EXPECT_EQ(weight.to_f32_vector(), w0) << weight_name;
      continue;
    }
    const std::vector<float> got = weight.to_f32_vector();
    for (size_t i = 0; i < w0.size(); ++i) {
      EXPECT_NEAR(got[i], w0[i] + 0.5f * (tuned->second[i] - w0[i]), 1e-6f) << weight_name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(PeftFixtures, AdapterInterpolation,
                         testing::Values("qwen2/lora", "gpt2/lora", "qwen3/dora",
                                         "llama_gqa_untied/rslora"),
                         [](const testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '/', '_');
                           return name;
                         });

// modules_to_save on a tied model: the adapter's own head interpolates from the embedding table,
// and the written folder unties it.
TEST(WeightInterpolation, SavedHeadInterpolatesFromTheEmbedding) {
  TempDir dir;
  const std::filesystem::path base = hf_model_fixture("qwen2");
  const std::filesystem::path adapter = peft_case("retune_adapters") / "qwen2_lora_modules_to_save";
  const WeightInterpolation interpolation = WeightInterpolation::with_adapter(base, adapter);
  const auto at_zero = values_by_name(interpolation.weights_at(0));
  EXPECT_EQ(at_zero.at("lm_head.weight"), at_zero.at("model.embed_tokens.weight"));
  EXPECT_EQ(logits_of(*interpolation.model_at(0), "qwen2"),
            logits_of(*model::load_causal_lm(base), "qwen2"));

  const std::unique_ptr<model::CausalLm> on_the_fly = model::load_causal_lm(base);
  adapters::load_lora(*on_the_fly, adapter);
  EXPECT_LT(worst_difference(logits_of(*interpolation.model_at(1), "qwen2"),
                             logits_of(*on_the_fly, "qwen2")),
            1e-4f);

  interpolation.write_model_folder(0.5, dir / "out");
  EXPECT_FALSE(model::load_model_config(dir / "out").tie_word_embeddings);
  EXPECT_EQ(logits_of(*model::load_causal_lm(dir / "out"), "qwen2"),
            logits_of(*interpolation.model_at(0.5), "qwen2"));
}

TEST(WeightInterpolation, RefusesAnAdapterOfAnotherBase) {
  const std::filesystem::path adapter = peft_case("qwen2/lora") / "after_3_steps";
  const std::string error =
      error_of([&] { WeightInterpolation::with_adapter(hf_model_fixture("gpt2"), adapter); });
  EXPECT_NE(error.find(adapter.string()), std::string::npos) << error;
}

}  // namespace
}  // namespace retune::eval
