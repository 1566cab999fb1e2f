// Computed LoRA starts against PEFT 0.21.2 (tests/fixtures/peft_methods, made by
// tools/fixtures/make_peft_method_fixtures.py on the calibration set each model folder holds).
// Tolerances are the fixture's recommended ones (metadata.json recommended_tolerances: 10x
// PEFT's own float32-vs-float64 difference). Where PEFT's result depends on arbitrary signs or
// random draws (SVD signs, torch.svd_lowrank), products or subspaces are compared.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/lora_initialisation.h"
#include "adapters/lora_start.h"
#include "adapters/lora_targets.h"
#include "io/safetensors_file.h"
#include "linalg/qr.h"
#include "model/trainable_weights.h"
#include "ops/matmul.h"
#include "support/error_of.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& path) {
  return fs::path(RETUNE_FIXTURES_DIR) / "peft_methods" / path;
}

Tensor tensor_of(const fs::path& file, const std::string& name) {
  return SafetensorsFile::open(file).tensor(name).to(DType::f32).clone();
}

// The calibration set as PEFT's dataloader fed it: batches of 2 rows.
std::vector<CalibrationBatch> calibration(const std::string& model) {
  const SafetensorsFile file = SafetensorsFile::open(fixture(model) / "calibration.safetensors");
  const Tensor ids = file.tensor("input_ids").to(DType::i32).clone();
  const std::vector<int64_t> mask = [&] {
    const Tensor m = file.tensor("attention_mask");
    return std::vector<int64_t>(m.data<int64_t>(), m.data<int64_t>() + m.numel());
  }();
  const Tensor labels = file.tensor("labels");
  std::vector<CalibrationBatch> batches;
  const int64_t length = ids.size(1);
  for (int64_t first = 0; first < ids.size(0); first += 2) {
    std::vector<uint8_t> attended, labelled;
    for (int64_t i = first * length; i < (first + 2) * length; ++i) {
      attended.push_back(mask[static_cast<size_t>(i)] != 0);
      labelled.push_back(labels.data<int64_t>()[i] != -100);
    }
    batches.push_back(
        make_calibration_batch(ids.slice(0, first, first + 2).clone(), attended, labelled));
  }
  return batches;
}

Tensor product(const Tensor& b, const Tensor& a, float scaling) {
  Tensor out = Tensor::empty({b.size(0), a.size(1)}, DType::f32);
  ops::matmul_forward(b, a, out, {.alpha = scaling});
  return out;
}

// max |x - y| / max |y|, over the first `count` elements (all when negative).
double relative_error(const Tensor& x, const Tensor& y, int64_t count = -1) {
  const std::vector<float> a = x.to_f32_vector(), b = y.to_f32_vector();
  EXPECT_EQ(a.size(), b.size());
  const size_t n = count < 0 ? std::min(a.size(), b.size()) : static_cast<size_t>(count);
  double worst = 0, scale = 0;
  for (size_t i = 0; i < n; ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return worst / scale;
}

// The calibration ids, and the logits' elements before the padding: PEFT ran the model with
// the attention mask, which changes the logits of padded positions only (padding comes last,
// in the last row).
Tensor calibration_ids(const std::string& model) {
  return SafetensorsFile::open(fixture(model) / "calibration.safetensors")
      .tensor("input_ids")
      .to(DType::i32)
      .clone();
}
int64_t unpadded_logits(const std::string& model, const Tensor& logits) {
  const Tensor mask =
      SafetensorsFile::open(fixture(model) / "calibration.safetensors").tensor("attention_mask");
  int64_t positions = 0;
  while (positions < mask.numel() && mask.data<int64_t>()[positions] != 0) ++positions;
  return positions * logits.size(2);
}

// The sine of the largest principal angle between the row spaces of a and b [k, n].
double row_space_angle(const Tensor& a, const Tensor& b) {
  const Tensor qa = linalg::reduced_qr(a.transpose(0, 1)).q;  // [n, k]
  const Tensor qb = linalg::reduced_qr(b.transpose(0, 1)).q;
  // || (I - Qb Qb^T) Qa ||_2 bounded by the Frobenius norm over columns: the worst column.
  Tensor coefficients = Tensor::empty({qb.size(1), qa.size(1)}, DType::f32);
  ops::matmul_forward(qb, qa, coefficients, {.trans_a = true});
  Tensor residual = qa.clone();
  ops::matmul_forward(qb, coefficients, residual, {.alpha = -1.0f, .beta = 1.0f});
  double worst = 0;
  for (int64_t j = 0; j < residual.size(1); ++j) {
    double norm = 0;
    for (int64_t i = 0; i < residual.size(0); ++i) {
      const double v = residual.data<float>()[i * residual.size(1) + j];
      norm += v * v;
    }
    worst = std::max(worst, std::sqrt(norm));
  }
  return worst;
}

std::map<std::string, Tensor> weights_of(model::CausalLm& lm) {
  std::map<std::string, Tensor> weights;
  for (const auto& [name, weight] : model::named_weights(lm)) weights.emplace(name, weight);
  return weights;
}

struct Started {
  std::unique_ptr<model::CausalLm> lm;
  LoraModel lora;
};

// PEFT's adapter config of the case, started by retune on the fixture's calibration set.
Started start_case(const std::string& model, const std::string& name) {
  auto lm = model::load_causal_lm(hf_model_fixture(model));
  LoraConfig config = read_lora_config(fixture(model + "/" + name) / "initial/adapter_config.json");
  if (name == "eva") {  // the saved config carries EVA's result: start from r = 4 everywhere
    config.rank_pattern.clear();
    config.alpha_pattern.clear();
  }
  LoraStartOptions options{.batches = calibration(model)};
  if (name == "corda_kpm") options.corda_mode = CordaMode::kpm;
  if (name == "loraga") options.lora_ga.variant = LoraGaVariant::peft;
  LoraModel lora = attach_started_lora(*lm, config, options, 1);
  return {std::move(lm), std::move(lora)};
}

// The function is kept: the base model's logits, as PEFT's.
void expect_base_logits(const std::string& model, const model::CausalLm& lm) {
  const Tensor expected = tensor_of(fixture(model) / "base_logits.safetensors", "logits");
  EXPECT_LT(relative_error(lm.forward(calibration_ids(model)), expected,
                           unpadded_logits(model, expected)),
            1e-5);
}

// s B A of every module, and the residual weights PEFT saved, within the tolerances.
void expect_products_and_residual(const std::string& model, const std::string& name,
                                  double product_tolerance, double residual_tolerance) {
  SCOPED_TRACE(model + "/" + name);
  Started started = start_case(model, name);
  const fs::path peft = fixture(model + "/" + name) / "initial/adapter_model.safetensors";
  for (const LoraModule& module : started.lora.modules()) {
    const std::string key = "base_model.model." + module.site.name;
    const std::vector<AdapterParameter> p = module.lora->parameters();
    const float s = module.lora->scaling();
    EXPECT_LT(relative_error(product(p[1].value, p[0].value, s),
                             product(tensor_of(peft, key + ".lora_B.weight"),
                                     tensor_of(peft, key + ".lora_A.weight"), s)),
              product_tolerance)
        << module.site.name;
  }
  const fs::path residual = fixture(model + "/" + name) / "residual.safetensors";
  const std::map<std::string, Tensor> weights = weights_of(*started.lm);
  const SafetensorsFile residual_file = SafetensorsFile::open(residual);
  for (const std::string& weight : residual_file.names()) {
    EXPECT_LT(relative_error(weights.at(weight), tensor_of(residual, weight)), residual_tolerance)
        << weight;
  }
  expect_base_logits(model, *started.lm);
}

TEST(LoraStartPeft, PissaOloraCordaMatchPeft) {
  expect_products_and_residual("llama_gqa_untied", "pissa", 1e-4, 1e-4);
  expect_products_and_residual("qwen2", "pissa", 1e-4, 1e-3);
  expect_products_and_residual("llama_gqa_untied", "olora", 1e-5, 1e-5);
  expect_products_and_residual("llama_gqa_untied", "corda_ipm", 1e-2, 1e-2);
  expect_products_and_residual("qwen2", "corda_ipm", 1e-2, 1e-2);
  expect_products_and_residual("llama_gqa_untied", "corda_kpm", 1e-2, 1e-2);
}

// CorDA's covariance as PEFT accumulated it.
TEST(LoraStartPeft, CordaCovarianceMatchesPeft) {
  const fs::path file = fixture("llama_gqa_untied/corda_ipm/covariance.safetensors");
  auto lm = model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
  LoraConfig config;
  config.target_modules = {.form = ModuleSelector::Form::all_linear};
  const std::map<std::string, Tensor> ours = corda_covariances(
      *lm, resolve_lora_targets(config, lm->linear_sites()), calibration("llama_gqa_untied"));
  const SafetensorsFile peft = SafetensorsFile::open(file);
  ASSERT_FALSE(peft.names().empty());
  for (const std::string& module : peft.names()) {
    EXPECT_LT(relative_error(ours.at(module), tensor_of(file, module)), 1e-5) << module;
  }
}

// OLoRA's factors themselves: LAPACK's Householder signs, as torch's.
TEST(LoraStartPeft, OloraFactorsMatchElementwise) {
  Started started = start_case("llama_gqa_untied", "olora");
  const fs::path peft = fixture("llama_gqa_untied/olora/initial/adapter_model.safetensors");
  for (const LoraModule& module : started.lora.modules()) {
    const std::string key = "base_model.model." + module.site.name;
    const std::vector<AdapterParameter> p = module.lora->parameters();
    EXPECT_LT(relative_error(p[0].value, tensor_of(peft, key + ".lora_A.weight")), 1e-5);
    EXPECT_LT(relative_error(p[1].value, tensor_of(peft, key + ".lora_B.weight")), 1e-5);
  }
}

// pissa_niter_4 draws at random: s B A is the weight projected on the subspace it found, and
// the residual plus s B A is the weight.
TEST(LoraStartPeft, PissaNiterKeepsItsInvariants) {
  Started started = start_case("llama_gqa_untied", "pissa_niter_4");
  expect_base_logits("llama_gqa_untied", *started.lm);
  EXPECT_TRUE(started.lora.residualised());
}

// LoRA-GA: the estimated gradients as PEFT's; A's row space (the top right singular vectors of
// the gradient) as PEFT's; the function kept.
TEST(LoraStartPeft, LoraGaMatchesPeft) {
  const fs::path gradients = fixture("llama_gqa_untied/loraga/gradients.safetensors");
  auto lm = model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
  const SafetensorsFile gradient_file = SafetensorsFile::open(gradients);
  std::vector<std::string> names;
  for (const std::string& module : gradient_file.names()) {
    names.push_back(module + ".weight");
  }
  const std::map<std::string, Tensor> ours =
      mean_weight_gradients(*lm, names, calibration("llama_gqa_untied"));
  for (const std::string& module : gradient_file.names()) {
    EXPECT_LT(relative_error(ours.at(module + ".weight"), tensor_of(gradients, module)), 1e-5)
        << module;
  }
  Started started = start_case("llama_gqa_untied", "loraga");
  const fs::path peft = fixture("llama_gqa_untied/loraga/initial/adapter_model.safetensors");
  for (const LoraModule& module : started.lora.modules()) {
    const std::string key = "base_model.model." + module.site.name + ".lora_A.weight";
    EXPECT_LT(row_space_angle(module.lora->parameters()[0].value, tensor_of(peft, key)), 1e-3)
        << module.site.name;
  }
  expect_base_logits("llama_gqa_untied", *started.lm);
}

// EVA: the ranks PEFT gave each group of layers sharing an input (PEFT's unstable sort makes
// only the group's total and its first layer's rank reproducible), and the components' row
// spaces (retune's PCA is exact, PEFT's a seeded randomized SVD).
TEST(LoraStartPeft, EvaMatchesPeft) {
  for (const auto& [model, tolerance] :
       std::vector<std::pair<std::string, double>>{{"llama_gqa_untied", 1e-3}, {"qwen2", 0.1}}) {
    SCOPED_TRACE(model);
    Started started = start_case(model, "eva");
    const fs::path peft = fixture(model + "/eva/initial/adapter_model.safetensors");
    const SafetensorsFile file = SafetensorsFile::open(peft);
    std::map<std::string, int64_t> ours, theirs;  // the group's first layer -> the group's rank
    for (const LoraModule& module : started.lora.modules()) {
      const std::string& name = module.site.name;
      // k_proj and v_proj share q_proj's input, up_proj gate_proj's.
      std::string group = name;
      for (const auto& [member, first] : {std::pair<std::string, std::string>{"k_proj", "q_proj"},
                                          {"v_proj", "q_proj"},
                                          {"up_proj", "gate_proj"}}) {
        if (name.ends_with(member)) group = name.substr(0, name.size() - member.size()) + first;
      }
      const Tensor a = module.lora->parameters()[0].value;
      ours[group] += a.size(0);
      const std::string key = "base_model.model." + name + ".lora_A.weight";
      ASSERT_TRUE(file.has(key)) << name;
      const Tensor reference = tensor_of(peft, key);
      theirs[group] += reference.size(0);
      if (group == name) {
        ASSERT_EQ(a.size(0), reference.size(0)) << name;
        EXPECT_LT(row_space_angle(a, reference), tolerance) << name;
      }
    }
    EXPECT_EQ(ours, theirs);
    expect_base_logits(model, *started.lm);
  }
}

// PEFT's trained PiSSA adapter, saved unconverted, loads as PEFT loads it (the base residualised
// again), gives the logits of PEFT's converted adapter on the original base, and is saved
// converted with the same product s B' A'.
TEST(LoraStartPeft, LoadsAndConvertsPeftsTrainedAdapter) {
  const fs::path folder = fixture("llama_gqa_untied/pissa");
  auto lm = model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
  const LoraModel trained = load_lora(*lm, folder / "trained");
  EXPECT_TRUE(trained.residualised());
  const Tensor ids = calibration_ids("llama_gqa_untied");
  const Tensor expected = tensor_of(folder / "converted_logits.safetensors", "logits");
  const int64_t unpadded = unpadded_logits("llama_gqa_untied", expected);
  EXPECT_LT(relative_error(lm->forward(ids), expected, unpadded), 1e-4);
  TempDir dir;
  save_lora(trained, *lm, dir / "converted", "base");
  const fs::path ours = dir / "converted/adapter_model.safetensors";
  const fs::path peft = folder / "converted/adapter_model.safetensors";
  const LoraConfig config = read_lora_config(dir / "converted/adapter_config.json");
  EXPECT_EQ(config.r, 8);
  EXPECT_EQ(config.lora_alpha, 16);
  const float s = 2.0f;
  const SafetensorsFile peft_file = SafetensorsFile::open(peft);
  for (const std::string& key : peft_file.names()) {
    if (!key.ends_with(".lora_A.weight")) continue;
    const std::string b = key.substr(0, key.size() - 13) + "lora_B.weight";
    EXPECT_LT(relative_error(product(tensor_of(ours, b), tensor_of(ours, key), s),
                             product(tensor_of(peft, b), tensor_of(peft, key), s)),
              1e-4)
        << key;
  }
  auto base = model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
  load_lora(*base, dir / "converted");
  EXPECT_LT(relative_error(base->forward(ids), expected, unpadded), 1e-4);
}

TEST(LoraStartPeft, RefusesWhatPeftCannotLoadEither) {
  auto lm = model::load_causal_lm(hf_model_fixture("llama_gqa_untied"));
  const fs::path corda = fixture("llama_gqa_untied/corda_ipm/trained");
  EXPECT_EQ(error_of([&] { load_lora(*lm, corda); }),
            (corda / "adapter_config.json").string() +
                ": init_lora_weights \"corda\": the residual base weights need the calibration "
                "covariance; save the adapter converted (PEFT: "
                "path_initial_model_for_weight_conversion)");
  const fs::path niter = fixture("llama_gqa_untied/pissa_niter_4/initial");
  EXPECT_EQ(error_of([&] { load_lora(*lm, niter); }),
            (niter / "adapter_config.json").string() +
                ": init_lora_weights \"pissa_niter_4\": the base weights of this adapter were "
                "residualised with a randomized SVD, which cannot be recomputed; save it "
                "converted (PEFT: path_initial_model_for_weight_conversion)");
  // PiSSA's saved start with use_dora: refused as starting one is.
  TempDir dir;
  fs::copy(fixture("llama_gqa_untied/pissa/initial"), dir / "dora");
  nlohmann::json config;
  std::ifstream(dir / "dora" / "adapter_config.json") >> config;
  config["use_dora"] = true;
  std::ofstream(dir / "dora" / "adapter_config.json") << config.dump();
  EXPECT_EQ(error_of([&] { load_lora(*lm, dir / "dora"); }),
            (dir / "dora" / "adapter_config.json").string() +
                ": use_dora with a residual initialisation (init_lora_weights \"pissa\" or "
                "\"olora\") is not supported: DoRA's norms would be of the residual weights");
}

}  // namespace
}  // namespace retune::adapters
