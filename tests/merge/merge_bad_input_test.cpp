// Bad merge inputs fail with one line naming the model and tensor, and leave nothing at the
// output path: models of different architectures, a tensor of another shape, different
// vocabulary sizes, a missing model folder or tensor, a base that is not among a slice's
// sources, the wrong number of models for a method, DELLA's density ± epsilon outside (0, 1).
// Weights that do not sum to 1 with normalize off only warn.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "merge_test_models.h"
#include "support/temp_dir.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;

const std::string kBase = merge_base_model().string();

// The error run_merge throws for `config` text (in dir/cfg), and that nothing was written.
std::string merge_error(const TempDir& dir, const std::string& text) {
  const MergeConfig config = config_in(dir / "cfg", text);
  try {
    run_merge(config, dir / "out", {});
  } catch (const Error& error) {
    EXPECT_FALSE(fs::exists(dir / "out"));
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      EXPECT_EQ(entry.path().filename().string().find("out.tmp"), std::string::npos);
    }
    return error.what();
  }
  return "";
}

std::string ties_of(const std::string& a, const std::string& b) {
  return "merge_method: ties\nbase_model: " + kBase + "\nmodels:\n  - model: " + a +
         "\n    parameters: {weight: 1, density: 0.5}\n  - model: " + b +
         "\n    parameters: {weight: 1, density: 0.5}\n";
}

Tensor same(const std::string&, const Tensor& t) {
  return t;
}

TEST(MergeBadInput, DifferentArchitectures) {
  TempDir dir;
  write_changed_model("b", dir / "qwen", same, {{"architectures", {"Qwen2ForCausalLM"}}});
  const std::string error =
      merge_error(dir, ties_of(merge_variant("a").string(), (dir / "qwen").string()));
  EXPECT_EQ(error, (dir / "qwen" / "config.json").string() +
                       ": architecture Qwen2ForCausalLM, but " + kBase +
                       " is LlamaForCausalLM; models of one architecture merge");
}

TEST(MergeBadInput, ATensorOfAnotherShapeIsNamed) {
  TempDir dir;
  write_changed_model("b", dir / "narrow", [](const std::string& name, const Tensor& t) {
    return name == "model.layers.1.self_attn.k_proj.weight" ? Tensor::zeros({16, 64}, DType::f32)
                                                            : t;
  });
  const std::string error =
      merge_error(dir, ties_of(merge_variant("a").string(), (dir / "narrow").string()));
  EXPECT_EQ(error, (dir / "narrow").string() +
                       ": tensor model.layers.1.self_attn.k_proj.weight has shape [16, 64] but " +
                       merge_variant("a").string() + " has [32, 64]");
}

TEST(MergeBadInput, DifferentVocabularySizes) {
  TempDir dir;
  write_changed_model("b", dir / "big_vocab",
                      [](const std::string& name, const Tensor& t) {
                        return name == "model.embed_tokens.weight" || name == "lm_head.weight"
                                   ? Tensor::zeros({322, 64}, DType::f32)
                                   : t;
                      },
                      {{"vocab_size", 322}});
  const std::string error =
      merge_error(dir, ties_of(merge_variant("a").string(), (dir / "big_vocab").string()));
  EXPECT_EQ(error, (dir / "big_vocab").string() +
                       ": tensor model.embed_tokens.weight has 322 vocabulary rows but " +
                       merge_variant("a").string() +
                       " has 320; retune merges models that share one vocabulary (no rule for "
                       "different vocabulary sizes)");
}

TEST(MergeBadInput, AMissingModelFolder) {
  TempDir dir;
  const std::string error = merge_error(dir, ties_of(merge_variant("a").string(), "../nowhere"));
  EXPECT_EQ(error, (dir / "nowhere").string() + ": model folder not found (from \"../nowhere\")");
}

TEST(MergeBadInput, AMissingTensorIsNamed) {
  TempDir dir;
  write_changed_model("b", dir / "short", [](const std::string& name, const Tensor& t) {
    return name == "model.layers.0.mlp.up_proj.weight" ? Tensor() : t;
  });
  const std::string error =
      merge_error(dir, ties_of(merge_variant("a").string(), (dir / "short").string()));
  EXPECT_EQ(error, (dir / "short").string() +
                       ": no tensor model.layers.0.mlp.up_proj.weight, which " +
                       merge_variant("a").string() +
                       " has; the models of a merge must have the same tensors");
}

TEST(MergeBadInput, ABaseOutsideTheSliceAndTheWrongNumberOfModels) {
  TempDir dir;
  const std::string a = merge_variant("a").string();
  const std::string b = merge_variant("b").string();
  EXPECT_EQ(merge_error(dir, "merge_method: slerp\nbase_model: " + kBase +
                                 "\nslices:\n"
                                 "  - sources:\n      - {model: " +
                                 a +
                                 ", layer_range: [0, 2]}\n"
                                 "      - {model: " +
                                 b +
                                 ", layer_range: [0, 2]}\n"
                                 "parameters: {t: 0.5}\n"),
            (dir / "cfg" / "merge.yaml").string() + ":4: the base model " + kBase +
                " is not among the slice's sources");
  EXPECT_EQ(merge_error(dir, "merge_method: slerp\nbase_model: " + kBase +
                                 "\nmodels:\n"
                                 "  - model: " +
                                 a + "\n  - model: " + b + "\nparameters: {t: 0.5}\n"),
            (dir / "cfg" / "merge.yaml").string() +
                ":4: slerp takes exactly 2 models (the base included), got 3");
  EXPECT_EQ(merge_error(dir, "merge_method: ties\nmodels:\n  - model: " + a +
                                 "\n    parameters: {weight: 1}\n"),
            (dir / "cfg" / "merge.yaml").string() + ": ties needs a base_model");
  EXPECT_EQ(merge_error(dir, "merge_method: ties\nbase_model: " + kBase +
                                 "\nmodels:\n"
                                 "  - model: " +
                                 a + "\n"),
            (dir / "cfg" / "merge.yaml").string() + ":4: parameter weight is not set for model " +
                a +
                " at tensor model.embed_tokens.weight; set it in the model's parameters or the "
                "global ones");
}

TEST(MergeBadInput, DellaDensityPlusEpsilonOutsideZeroToOne) {
  TempDir dir;
  const std::string error =
      merge_error(dir, "merge_method: della\nbase_model: " + kBase +
                           "\nmodels:\n  - model: " + merge_variant("a").string() +
                           "\n    parameters: {weight: 1, density: 0.1}\n");
  EXPECT_NE(error.find(": density 0.1 ± epsilon 0.15 must stay inside (0, 1)"), std::string::npos)
      << error;
  EXPECT_EQ(error.find("tensor "), 0u) << error;
}

TEST(MergeBadInput, WeightsNotSummingToOneOnlyWarn) {
  TempDir dir;
  const MergeConfig config = config_in(
      dir / "cfg", "merge_method: linear\nmodels:\n  - model: " + merge_variant("a").string() +
                       "\n    parameters: {weight: 0.7}\n"
                       "  - model: " +
                       merge_variant("b").string() +
                       "\n    parameters: {weight: 0.7}\nparameters: {normalize: "
                       "false}\n");
  std::vector<std::string> warnings;
  MergeOptions options;
  options.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  run_merge(config, dir / "out", options);
  EXPECT_TRUE(fs::exists(dir / "out" / "model.safetensors"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], (dir / "cfg" / "merge.yaml").string() +
                             ": the weights sum to 1.4 (not 1) for tensor "
                             "model.embed_tokens.weight and 20 more with normalize off: those "
                             "tensors are scaled by the sum");
}

}  // namespace
}  // namespace retune::merge
