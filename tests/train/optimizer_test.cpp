// Optimizer: its steps are the ops' steps with the right per-parameter weight decay and step
// count; clipping, zero_grad, the exported state (a resumed optimizer continues bitwise
// identically), HF Trainer's decay rule, and the rejected inputs.
#include "train/optimizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "ops/adamw.h"
#include "ops/sgd.h"
#include "support/error_of.h"
#include "support/vector_tensor.h"

namespace retune::train {
namespace {

using testing::HasSubstr;

Parameter parameter(std::string name, const std::vector<float>& value, bool decay = true) {
  return {.name = std::move(name),
          .value = vector_tensor(value),
          .grad = Tensor::zeros({static_cast<int64_t>(value.size())}, DType::f32),
          .decay = decay};
}

// Two parameters "w" (decayed) and "b" (not) with distinct values.
std::vector<Parameter> two_parameters() {
  return {parameter("w", {0.5f, -1.25f, 2.0f, 0.125f}), parameter("b", {0.25f, -0.75f}, false)};
}

// A deterministic gradient for step t of parameter i.
void set_grads(const Optimizer& optimizer, int t) {
  for (size_t i = 0; i < optimizer.parameters().size(); ++i) {
    const Tensor& g = optimizer.parameters()[i].grad;
    float* data = g.mutable_data<float>();
    for (int64_t j = 0; j < g.numel(); ++j) {
      data[j] = std::sin(static_cast<float>(1 + t * 7 + static_cast<int>(i) * 3 + j));
    }
  }
}

std::vector<float> values(const Optimizer& optimizer, size_t i) {
  return optimizer.parameters()[i].value.to_f32_vector();
}

TEST(Optimizer, AdamWStepsAreTheOpsStepsWithPerParameterDecay) {
  Optimizer optimizer(two_parameters(), {.weight_decay = 0.1});
  std::vector<Parameter> expected = two_parameters();
  std::vector<Tensor> m, v;
  for (const Parameter& p : expected) {
    m.push_back(Tensor::zeros(p.value.shape(), DType::f32));
    v.push_back(Tensor::zeros(p.value.shape(), DType::f32));
  }
  for (int t = 1; t <= 2; ++t) {
    set_grads(optimizer, t);
    optimizer.step(1e-2);
    for (size_t i = 0; i < expected.size(); ++i) {
      ops::adamw_step(expected[i].value, optimizer.parameters()[i].grad, m[i], v[i], t,
                      {.lr = 1e-2, .weight_decay = i == 0 ? 0.1 : 0.0});
      EXPECT_EQ(values(optimizer, i), expected[i].value.to_f32_vector()) << "step " << t;
    }
  }
  EXPECT_EQ(optimizer.steps(), 2);
}

TEST(Optimizer, SgdWithMomentumStepsAreTheOpsSteps) {
  Optimizer optimizer({parameter("w", {1.0f})}, {.kind = OptimizerKind::sgd, .momentum = 0.9});
  optimizer.parameters()[0].grad.fill(1.0);
  optimizer.step(0.1);  // buf = g = 1, p = 1 - 0.1
  EXPECT_FLOAT_EQ(values(optimizer, 0)[0], 0.9f);
  optimizer.step(0.1);  // buf = 0.9 * 1 + 1 = 1.9, p = 0.9 - 0.19
  EXPECT_FLOAT_EQ(values(optimizer, 0)[0], 0.71f);

  const OptimizerOptions options{
      .kind = OptimizerKind::sgd, .weight_decay = 0.01, .momentum = 0.8, .dampening = 0.1};
  Optimizer other(two_parameters(), options);
  std::vector<Parameter> expected = two_parameters();
  std::vector<Tensor> buffers;
  for (const Parameter& p : expected) buffers.push_back(Tensor::zeros(p.value.shape(), DType::f32));
  for (int t = 1; t <= 3; ++t) {
    set_grads(other, t);
    other.step(0.05);
    for (size_t i = 0; i < expected.size(); ++i) {
      ops::sgd_step(
          expected[i].value, other.parameters()[i].grad, buffers[i], t == 1,
          {.lr = 0.05, .momentum = 0.8, .dampening = 0.1, .weight_decay = i == 0 ? 0.01 : 0.0});
      EXPECT_EQ(values(other, i), expected[i].value.to_f32_vector()) << "step " << t;
    }
  }
}

TEST(Optimizer, WeightDecaySkipsParametersWithoutDecay) {
  for (OptimizerKind kind : {OptimizerKind::adamw, OptimizerKind::sgd}) {
    // Zero gradients: only the decay moves a parameter, by lr * weight_decay * p in both
    // (AdamW decoupled, SGD as the L2 gradient).
    Optimizer optimizer({parameter("w", {1.0f, -2.0f}), parameter("norm.weight", {1.0f}, false)},
                        {.kind = kind, .weight_decay = 0.5});
    optimizer.step(0.1);
    EXPECT_THAT(values(optimizer, 0), testing::ElementsAre(0.95f, -1.9f));
    EXPECT_THAT(values(optimizer, 1), testing::ElementsAre(1.0f));
  }
}

TEST(Optimizer, ClipsTheGlobalGradientNormAndZeroesGradients) {
  Optimizer optimizer({parameter("a", {0.0f}), parameter("b", {0.0f})}, {});
  optimizer.parameters()[0].grad.fill(3.0);
  optimizer.parameters()[1].grad.fill(4.0);
  EXPECT_DOUBLE_EQ(optimizer.clip_grad_norm(0), 5.0);  // measures only
  EXPECT_EQ(optimizer.parameters()[0].grad.to_f32_vector()[0], 3.0f);
  EXPECT_DOUBLE_EQ(optimizer.clip_grad_norm(1.0), 5.0);  // the norm before clipping
  EXPECT_FLOAT_EQ(optimizer.parameters()[0].grad.to_f32_vector()[0], 0.6f);
  EXPECT_FLOAT_EQ(optimizer.parameters()[1].grad.to_f32_vector()[0], 0.8f);
  optimizer.zero_grad();
  for (const Parameter& p : optimizer.parameters()) {
    EXPECT_THAT(p.grad.to_f32_vector(), testing::Each(0.0f));
  }
}

// An optimizer rebuilt from the exported state after 3 steps takes the next 2 exactly as the
// uninterrupted one does; a fresh one without the state does not.
void expect_bitwise_resume(const OptimizerOptions& options,
                           const std::vector<std::string>& state_names) {
  Optimizer original(two_parameters(), options);
  for (int t = 1; t <= 3; ++t) {
    set_grads(original, t);
    original.step(1e-2);
  }
  const OptimizerState state = original.export_state();
  EXPECT_EQ(state.steps, 3);
  std::vector<std::string> names;
  for (const auto& [name, tensor] : state.tensors) names.push_back(name);
  EXPECT_EQ(names, state_names);

  std::vector<Parameter> copies = two_parameters();
  for (size_t i = 0; i < copies.size(); ++i) {
    copies[i].value.copy_from(original.parameters()[i].value);
  }
  Optimizer resumed(copies, options);
  for (Parameter& p : copies) p.value = p.value.clone();
  Optimizer stateless(copies, options);
  resumed.import_state(state);
  for (int t = 4; t <= 5; ++t) {
    set_grads(original, t);
    set_grads(resumed, t);
    set_grads(stateless, t);
    original.step(1e-2);
    resumed.step(1e-2);
    stateless.step(1e-2);
  }
  EXPECT_EQ(resumed.steps(), 5);
  for (size_t i = 0; i < copies.size(); ++i) {
    EXPECT_EQ(values(resumed, i), values(original, i));
    EXPECT_NE(values(stateless, i), values(original, i));
  }
  const OptimizerState after = original.export_state(), resumed_after = resumed.export_state();
  for (size_t k = 0; k < after.tensors.size(); ++k) {
    EXPECT_EQ(resumed_after.tensors[k].second.to_f32_vector(),
              after.tensors[k].second.to_f32_vector());
  }
}

TEST(Optimizer, ExportedStateResumesAdamWBitwise) {
  expect_bitwise_resume({.weight_decay = 0.1},
                        {"w.exp_avg", "w.exp_avg_sq", "b.exp_avg", "b.exp_avg_sq"});
}

TEST(Optimizer, ExportedStateResumesSgdBitwise) {
  expect_bitwise_resume({.kind = OptimizerKind::sgd, .momentum = 0.9, .nesterov = true},
                        {"w.momentum_buffer", "b.momentum_buffer"});
  Optimizer plain(two_parameters(), {.kind = OptimizerKind::sgd});
  EXPECT_TRUE(plain.export_state().tensors.empty());  // no momentum, no state
}

TEST(Optimizer, HfDecayRuleMatchesTrainer) {
  // transformers 5.24.0 Trainer.get_decay_parameter_names: no decay for biases and norms.
  for (const char* name :
       {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "lm_head.weight",
        "transformer.h.0.attn.c_attn.weight", "transformer.wte.weight",
        "base_model.model.model.layers.3.mlp.down_proj.lora_A.default.weight",
        "model.layers.0.mlp.normalizer.weight", "model.enorm.weight"}) {
    EXPECT_TRUE(hf_decays(name)) << name;
  }
  for (const char* name :
       {"model.layers.0.self_attn.q_proj.bias", "model.layers.0.input_layernorm.weight",
        "model.layers.0.post_attention_layernorm.weight", "model.norm.weight",
        "model.layers.0.self_attn.q_norm.weight", "model.layers.0.self_attn.k_norm.weight",
        "encoder.final_layer_norm.weight", "bert.embeddings.LayerNorm.weight",
        "model.layers.1.block.rmsnorm.scale", "transformer.h.0.ln_1.weight",
        "transformer.h.11.ln_2.weight", "transformer.ln_f.weight", "norm"}) {
    EXPECT_FALSE(hf_decays(name)) << name;
  }
}

TEST(Optimizer, RejectsBadInputsNamingThem) {
  auto make = [](std::vector<Parameter> parameters, OptimizerOptions options = {}) {
    return error_of([&] { Optimizer(std::move(parameters), options); });
  };
  EXPECT_EQ(make({}), "optimizer: no parameters to optimize");
  EXPECT_EQ(make({parameter("w", {1}), parameter("w", {2})}),
            "optimizer: parameter \"w\" is listed twice");
  Parameter misshapen = parameter("w", {1, 2});
  misshapen.grad = Tensor::zeros({3}, DType::f32);
  EXPECT_EQ(make({misshapen}),
            "optimizer: the gradient of \"w\" is f32[3] on cpu, expected a writable contiguous "
            "f32[2] on cpu");
  Parameter no_grad = parameter("w", {1});
  no_grad.grad = Tensor();
  EXPECT_THAT(make({no_grad}), HasSubstr("the gradient of \"w\" is undefined"));
  Parameter half = parameter("w", {1});
  half.value = half.value.to(DType::bf16);
  EXPECT_EQ(make({half}),
            "optimizer: parameter \"w\" is bf16[1] on cpu, expected a writable contiguous f32 "
            "tensor");
  Parameter aliased = parameter("w", {1, 2});
  aliased.grad = aliased.value;
  EXPECT_EQ(make({aliased}), "optimizer: the gradient of \"w\" aliases its value");
  Parameter tied = parameter("lm_head.weight", {1, 2});
  Parameter embed = parameter("model.embed_tokens.weight", {0, 0});
  embed.value = tied.value;
  EXPECT_EQ(make({tied, embed}),
            "optimizer: parameters \"lm_head.weight\" and \"model.embed_tokens.weight\" share "
            "memory (list tied weights once)");
  Parameter other = parameter("other", {1, 2});
  other.grad = tied.grad;
  EXPECT_EQ(make({tied, other}),
            "optimizer: the gradient of \"lm_head.weight\" or \"other\" shares memory with the "
            "other's value or gradient");

  EXPECT_EQ(make(two_parameters(), {.beta1 = 1}), "optimizer.beta1 must be in [0, 1), got 1");
  EXPECT_EQ(make(two_parameters(), {.beta2 = -0.1}), "optimizer.beta2 must be in [0, 1), got -0.1");
  EXPECT_EQ(make(two_parameters(), {.weight_decay = -1}),
            "optimizer.weight_decay must be >= 0, got -1");
  EXPECT_EQ(make(two_parameters(), {.eps = NAN}), "optimizer.eps must be >= 0, got nan");
  EXPECT_EQ(make(two_parameters(), {.kind = OptimizerKind::sgd, .momentum = -0.5}),
            "optimizer.momentum must be >= 0, got -0.5");
  EXPECT_EQ(make(two_parameters(), {.kind = OptimizerKind::sgd, .nesterov = true}),
            "optimizer.nesterov needs momentum > 0 and dampening 0, got momentum 0 and "
            "dampening 0");
}

TEST(Optimizer, ImportRejectsAStateOfAnotherShapeOrKind) {
  Optimizer optimizer(two_parameters(), {});
  const OptimizerState good = optimizer.export_state();
  auto import_error = [&](OptimizerState state) {
    return error_of([&] { optimizer.import_state(state); });
  };
  OptimizerState state = good;
  state.tensors.pop_back();
  EXPECT_EQ(import_error(state), "optimizer state: \"b.exp_avg_sq\" is missing");
  state = good;
  state.tensors.emplace_back("c.exp_avg", Tensor::zeros({1}, DType::f32));
  EXPECT_EQ(import_error(state),
            "optimizer state: \"c.exp_avg\" is not a state tensor of this optimizer");
  state = good;
  state.tensors.push_back(good.tensors[0]);
  EXPECT_EQ(import_error(state), "optimizer state: \"w.exp_avg\" appears twice");
  state = good;
  state.tensors[0].second = Tensor::zeros({4}, DType::f32);
  state.tensors[0].second.fill(1.0);
  state.tensors[1].second = Tensor::zeros({2, 2}, DType::f32);
  state.steps = 7;
  EXPECT_EQ(import_error(state),
            "optimizer state: \"w.exp_avg_sq\" is f32[2, 2] on cpu, expected f32[4] on cpu");
  // Nothing is copied from a rejected state.
  EXPECT_THAT(good.tensors[0].second.to_f32_vector(), testing::Each(0.0f));
  EXPECT_EQ(optimizer.steps(), 0);
  state = good;
  state.steps = -1;
  EXPECT_EQ(import_error(state), "optimizer state: the step count is -1, expected >= 0");

  Optimizer sgd(two_parameters(), {.kind = OptimizerKind::sgd, .momentum = 0.9});
  EXPECT_EQ(error_of([&] { sgd.import_state(good); }),
            "optimizer state: \"w.momentum_buffer\" is missing");
}

}  // namespace
}  // namespace retune::train
