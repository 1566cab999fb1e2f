// LoRA and DoRA inside whole models: the training step's loss equals the cross-entropy of the
// inference forward with the adapters applied, and the adapter tensors' gradients through the
// whole model agree with central differences of the loss (for DoRA, whose backward treats the
// weight norm as a constant, the magnitude vector's).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "adapters/lora_linear.h"
#include "core/random_tensor.h"
#include "model/gpt2_training.h"
#include "model/llama_training.h"
#include "support/central_difference.h"
#include "support/l2_error.h"
#include "support/training_checks.h"

namespace retune::adapters {
namespace {

struct Case {
  std::string fixture;
  bool rslora;
  bool dora;
};

// A LoRA on every linear of the model with random B (so that every gradient is non-zero).
std::vector<std::shared_ptr<LoraLinear>> attach_everywhere(model::CausalLm& model, const Case& c) {
  std::vector<std::shared_ptr<LoraLinear>> adapters;
  uint64_t seed = 1;
  for (const model::LinearSite& site : model.linear_sites()) {
    const LoraOptions options{
        .r = 4, .alpha = 8, .use_rslora = c.rslora, .use_dora = c.dora, .init_seed = seed++};
    auto adapter = std::make_shared<LoraLinear>(
        site.conv1d ? site.weight.transpose(0, 1) : site.weight, options);
    adapter->set_parameter("lora_B.weight",
                           uniform_tensor({site.out_features(), 4}, seed++, -0.05, 0.05));
    site.attach(adapter);
    adapters.push_back(adapter);
  }
  return adapters;
}

// One training step's loss with only the adapters training.
template <typename Model, typename Training, typename... Options>
float adapter_step(const Model& model, const model::TokenBatch& batch, Options... options) {
  std::remove_cvref_t<decltype(model.weights())> grads;  // every base weight frozen
  grads.layers.resize(model.weights().layers.size());
  return Training(model, grads, options...).step(batch);
}

float step(model::CausalLm& lm, const model::TokenBatch& batch) {
  if (const auto* llama = dynamic_cast<const model::LlamaModel*>(&lm)) {
    return adapter_step<model::LlamaModel, model::LlamaTraining>(*llama, batch);
  }
  return adapter_step<model::Gpt2Model, model::Gpt2Training>(
      dynamic_cast<const model::Gpt2Model&>(lm), batch);
}

class LoraInModel : public testing::TestWithParam<Case> {};

TEST_P(LoraInModel, TrainingLossIsTheAdaptedForwardsCrossEntropy) {
  const auto lm = model::load_causal_lm(hf_model_fixture(GetParam().fixture));
  const auto adapters = attach_everywhere(*lm, GetParam());
  const model::TokenBatch batch = fixture_batch(GetParam().fixture);
  EXPECT_NEAR(step(*lm, batch), reference_loss(lm->forward(batch.input_ids), batch.labels), 1e-5);
}

TEST_P(LoraInModel, AdapterGradientsMatchCentralDifferences) {
  const auto lm = model::load_causal_lm(hf_model_fixture(GetParam().fixture));
  const auto adapters = attach_everywhere(*lm, GetParam());
  const model::TokenBatch batch = fixture_batch(GetParam().fixture);
  step(*lm, batch);
  // The gradients of that step, copied before the probes' steps add to them.
  std::vector<std::vector<Tensor>> gradients;
  for (const auto& adapter : adapters) {
    gradients.emplace_back();
    for (const AdapterParameter& p : adapter->parameters())
      gradients.back().push_back(p.grad.clone());
  }
  const float eps = 1e-3f;
  uint64_t seed = 500;
  for (size_t a = 0; a < adapters.size(); a += 3) {  // every third module, to keep it quick
    const std::vector<AdapterParameter> parameters = adapters[a]->parameters();
    for (size_t i = 0; i < parameters.size(); ++i) {
      SCOPED_TRACE("module " + std::to_string(a) + " " + parameters[i].name);
      // DoRA's norm ||W + s B A|| is a constant to the backward (as in PEFT), so only the
      // magnitude's gradient is the loss's true derivative.
      if (GetParam().dora && parameters[i].name != "lora_magnitude_vector") continue;
      const Tensor& value = parameters[i].value;
      const std::vector<float> u = uniform_tensor(value.shape(), seed++).to_f32_vector();
      const std::vector<float> g = gradients[a][i].to_f32_vector();
      double predicted = 0;
      for (size_t j = 0; j < g.size(); ++j) predicted += static_cast<double>(g[j]) * u[j];
      const double measured = central_difference(value, u, eps, [&] { return step(*lm, batch); });
      EXPECT_NEAR(measured, predicted, 2e-3 + 2e-2 * std::abs(predicted));
    }
  }
}

// The large activations in bf16 (as on a GPU), run on the CPU: the loss and every adapter
// gradient stay within bf16's precision of the f32 step's. DoRA takes f32 activations only: its
// layers keep f32, bit for bit.
class LoraInLlama : public testing::TestWithParam<Case> {};

TEST_P(LoraInLlama, Bf16ActivationsStayCloseToF32) {
  const auto lm = model::load_causal_lm(hf_model_fixture(GetParam().fixture));
  const auto adapters = attach_everywhere(*lm, GetParam());
  const auto& llama = dynamic_cast<const model::LlamaModel&>(*lm);
  const model::TokenBatch batch = fixture_batch(GetParam().fixture);
  // Each run's loss and the adapters' gradients, which are then zeroed for the next.
  const auto run = [&](model::Bf16Activations bf16) {
    const float loss = adapter_step<model::LlamaModel, model::LlamaTraining>(llama, batch, bf16);
    std::vector<std::vector<float>> grads;
    for (const auto& adapter : adapters) {
      for (const AdapterParameter& p : adapter->parameters()) {
        grads.push_back(p.grad.to_f32_vector());
      }
      adapter->zero_grad();
    }
    return std::pair{loss, grads};
  };
  const auto [f32_loss, f32_grads] = run(model::Bf16Activations::on_gpu);
  const auto [bf16_loss, bf16_grads] = run(model::Bf16Activations::everywhere);
  if (GetParam().dora) {
    EXPECT_EQ(bf16_loss, f32_loss);
    EXPECT_EQ(bf16_grads, f32_grads);
    return;
  }
  EXPECT_NE(bf16_loss, f32_loss) << "the bf16 activations were not used";
  EXPECT_NEAR(bf16_loss, f32_loss, 2e-3 * std::abs(f32_loss));
  for (size_t i = 0; i < f32_grads.size(); ++i) {
    EXPECT_LT(relative_l2_error(bf16_grads[i], f32_grads[i]), 2e-2) << "parameter " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LoraInLlama,
                         testing::Values(Case{"llama_gqa_untied", false, false},
                                         Case{"qwen2", true, false}, Case{"qwen3", false, true}),
                         [](const testing::TestParamInfo<Case>& param) {
                           return param.param.fixture + (param.param.rslora ? "_rslora" : "") +
                                  (param.param.dora ? "_dora" : "");
                         });

INSTANTIATE_TEST_SUITE_P(Fixtures, LoraInModel,
                         testing::Values(Case{"llama_gqa_untied", false, false},
                                         Case{"qwen2", true, false}, Case{"qwen3", false, true},
                                         Case{"gpt2", false, false}, Case{"gpt2", false, true}),
                         [](const testing::TestParamInfo<Case>& param) {
                           return param.param.fixture + (param.param.rslora ? "_rslora" : "") +
                                  (param.param.dora ? "_dora" : "");
                         });

}  // namespace
}  // namespace retune::adapters
