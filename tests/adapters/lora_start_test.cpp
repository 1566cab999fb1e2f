// Computed LoRA starts (PiSSA, OLoRA, CorDA, EVA, LoRA-GA): each leaves the model's function
// unchanged at the start (the residual base plus s B0 A0 is W; EVA's B0 is 0), has the structure
// its method defines, and the adapter saved after training is a plain LoRA of rank 2r that gives
// the trained model's logits on the unmodified base.
#include "adapters/lora_start.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "adapters/lora_initialisation.h"
#include "adapters/weight_starts.h"
#include "core/rng.h"
#include "linalg/qr.h"
#include "linalg/svd.h"
#include "ops/matmul.h"
#include "support/error_of.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune::adapters {
namespace {

std::unique_ptr<model::CausalLm> llama() {
  return model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
}

// Two batches of 3 rows of 9 seeded tokens; the last row of each ends with 2 pad positions; the
// first 2 positions of every row are not trained.
std::vector<CalibrationBatch> batches(const model::CausalLm& lm) {
  Rng rng(7);
  std::vector<CalibrationBatch> out;
  for (int batch = 0; batch < 2; ++batch) {
    const int64_t rows = 3, length = 9;
    Tensor ids = Tensor::empty({rows, length}, DType::i32);
    std::vector<uint8_t> attended(rows * length, 1), labelled(rows * length, 1);
    for (int64_t i = 0; i < rows * length; ++i) {
      ids.mutable_data<int32_t>()[i] =
          static_cast<int32_t>(rng.integer(3, lm.config().vocab_size - 1));
      const int64_t t = i % length;
      if (t < 2) labelled[i] = 0;
      if (i / length == rows - 1 && t >= length - 2) attended[i] = labelled[i] = 0;
    }
    out.push_back(make_calibration_batch(std::move(ids), attended, labelled));
  }
  return out;
}

Tensor logits_of(const model::CausalLm& lm, const CalibrationBatch& batch) {
  return lm.forward(batch.input_ids);
}

float max_abs_difference(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_f32_vector(), y = b.to_f32_vector();
  float worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

LoraConfig all_linear(LoraStartMethod start) {
  LoraConfig config;
  config.r = 4;
  config.lora_alpha = 8;
  config.start = start;
  config.target_modules = {.form = ModuleSelector::Form::all_linear};
  return config;
}

// Starting leaves the logits as the base model's.
void expect_function_kept(LoraStartMethod start, const LoraStartOptions& options) {
  const auto lm = llama();
  const std::vector<CalibrationBatch> data = batches(*lm);
  const Tensor before = logits_of(*lm, data[0]);
  LoraStartOptions with_data = options;
  with_data.batches = data;
  const LoraModel lora = attach_started_lora(*lm, all_linear(start), with_data, 3);
  EXPECT_LT(max_abs_difference(logits_of(*lm, data[0]), before), 2e-5f);
  EXPECT_EQ(lora.residualised(), start != LoraStartMethod::eva);
}

TEST(LoraStart, EveryStartKeepsTheModelsFunction) {
  for (const LoraStartMethod start :
       {LoraStartMethod::pissa, LoraStartMethod::olora, LoraStartMethod::corda,
        LoraStartMethod::eva, LoraStartMethod::lora_ga}) {
    SCOPED_TRACE(static_cast<int>(start));
    expect_function_kept(start, {});
  }
  expect_function_kept(LoraStartMethod::corda, {.corda_mode = CordaMode::kpm});
  expect_function_kept(LoraStartMethod::lora_ga, {.lora_ga = {.variant = LoraGaVariant::peft}});
}

// s B0 A0 is W's best rank-r approximation: U_r S_r Vt_r.
TEST(LoraStart, PissaTakesThePrincipalPart) {
  const auto lm = llama();
  const Tensor weight = linear_weight_f32(lm->linear_sites()[0]);
  const float scaling = 2.0f;
  const LoraStart start = pissa_start(weight, 3, scaling, 0, 0);
  Tensor product = Tensor::empty(weight.shape(), DType::f32);
  ops::matmul_forward(start.b, start.a, product, {.alpha = scaling});
  const linalg::Svd svd = linalg::thin_svd(weight);
  Tensor principal = Tensor::zeros(weight.shape(), DType::f32);
  for (int64_t j = 0; j < 3; ++j) {
    const float s = svd.s.data<float>()[j];
    for (int64_t o = 0; o < weight.size(0); ++o) {
      for (int64_t i = 0; i < weight.size(1); ++i) {
        principal.mutable_data<float>()[o * weight.size(1) + i] +=
            svd.u.data<float>()[o * svd.s.size(0) + j] * s *
            svd.vt.data<float>()[j * weight.size(1) + i];
      }
    }
  }
  EXPECT_LT(max_abs_difference(product, principal), 1e-5f);
  // The randomized variant (torch.svd_lowrank with q = r, no oversampling) finds some rank-r
  // subspace, not necessarily the principal one on a flat spectrum: s B0 A0 is W projected onto
  // it, Q Q^T W with Q an orthonormal basis of B0's columns.
  const LoraStart fast = pissa_start(weight, 3, scaling, 4, 11);
  ops::matmul_forward(fast.b, fast.a, product, {.alpha = scaling});
  const Tensor q = linalg::reduced_qr(fast.b).q;  // [O, 3]
  Tensor coordinates = Tensor::empty({3, weight.size(1)}, DType::f32);
  ops::matmul_forward(q, weight, coordinates, {.trans_a = true});
  Tensor projected = Tensor::empty(weight.shape(), DType::f32);
  ops::matmul_forward(q, coordinates, projected);
  EXPECT_LT(max_abs_difference(product, projected), 1e-4f);
}

// EVA: the ranks are redistributed within the budget, A0's rows are orthonormal, B0 = 0.
TEST(LoraStart, EvaRedistributesTheRankBudget) {
  const auto lm = llama();
  const LoraConfig config = all_linear(LoraStartMethod::eva);
  LoraStartReport report;
  const LoraModel lora = attach_started_lora(*lm, config, {.batches = batches(*lm)}, 3, &report);
  const int64_t sites = static_cast<int64_t>(lm->linear_sites().size());
  EXPECT_EQ(report.rank_sum, config.r * sites);
  EXPECT_GT(report.calibration_batches, 2);
  for (const LoraModule& module : lora.modules()) {
    const std::vector<AdapterParameter> p = module.lora->parameters();
    const Tensor& a = p[0].value;
    for (int64_t i = 0; i < a.size(0); ++i) {
      for (int64_t j = 0; j < a.size(0); ++j) {
        double dot = 0;
        for (int64_t k = 0; k < a.size(1); ++k) {
          dot += static_cast<double>(a.data<float>()[i * a.size(1) + k]) *
                 a.data<float>()[j * a.size(1) + k];
        }
        EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-4) << module.site.name;
      }
    }
    for (float b : p[1].value.to_f32_vector()) ASSERT_EQ(b, 0.0f);
    // The scaling stays alpha / r.
    EXPECT_FLOAT_EQ(module.lora->scaling(), 2.0f) << module.site.name;
  }
}

// Trained (perturbed) A and B on the residual base: the saved adapter, a plain LoRA of rank 2r,
// gives the same logits on the original base.
TEST(LoraStart, SavesAPlainLoraAgainstTheOriginalWeights) {
  const auto lm = llama();
  const std::vector<CalibrationBatch> data = batches(*lm);
  LoraConfig config = all_linear(LoraStartMethod::corda);
  config.use_rslora = true;
  config.rank_pattern = {{"q_proj", 2}};
  LoraModel lora = attach_started_lora(*lm, config, {.batches = data}, 3);
  Rng rng(5);
  for (const AdapterParameter& p : lora.parameters()) {
    float* value = p.value.mutable_data<float>();
    for (int64_t i = 0; i < p.value.numel(); ++i) {
      value[i] += static_cast<float>(rng.uniform(-0.05, 0.05));
    }
  }
  const Tensor trained = logits_of(*lm, data[1]);
  TempDir dir;
  save_lora(lora, *lm, dir / "adapter", "base");
  const LoraConfig saved = read_lora_config(dir / "adapter/adapter_config.json");
  EXPECT_EQ(saved.r, 8);
  EXPECT_NEAR(saved.lora_alpha, 8 * std::sqrt(2.0), 1e-9);
  EXPECT_EQ(saved.rank_pattern, (std::vector<std::pair<std::string, int64_t>>{{"q_proj", 4}}));
  EXPECT_EQ(saved.start, LoraStartMethod::random);
  const auto base = llama();
  const LoraModel loaded = load_lora(*base, dir / "adapter");
  EXPECT_FALSE(loaded.residualised());
  EXPECT_LT(max_abs_difference(logits_of(*base, data[1]), trained), 2e-5f);
  // Merging the residualised adapter gives the same weights as merging the saved one.
  const NamedTensors merged = lora.merged_weights(), reloaded = loaded.merged_weights();
  ASSERT_EQ(merged.size(), reloaded.size());
  for (size_t i = 0; i < merged.size(); ++i) {
    EXPECT_LT(max_abs_difference(merged[i].second, reloaded[i].second), 1e-5f) << merged[i].first;
  }
}

TEST(LoraStart, RefusesWhatItCannotCompute) {
  const auto lm = llama();
  EXPECT_EQ(error_of([&] { attach_started_lora(*lm, all_linear(LoraStartMethod::eva), {}, 0); }),
            "this LoRA initialisation needs calibration data, and there is none");
  LoraConfig dora = all_linear(LoraStartMethod::pissa);
  dora.use_dora = true;
  EXPECT_EQ(error_of([&] { attach_started_lora(*lm, dora, {}, 0); }),
            "a residual initialisation (PiSSA, OLoRA, CorDA, LoRA-GA) does not combine with "
            "DoRA");
  LoraConfig too_big = all_linear(LoraStartMethod::lora_ga);
  too_big.r = 40;
  EXPECT_EQ(error_of([&] { attach_started_lora(*lm, too_big, {.batches = batches(*lm)}, 0); }),
            "LoRA-GA needs 2r <= min(out, in) = 64, got r = 40");
}

}  // namespace
}  // namespace retune::adapters
