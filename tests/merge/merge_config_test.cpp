// Reading mergekit configs: the schema's keys, precedence-relevant structure, typed parameters,
// and one-line errors naming the file and line for what retune refuses (an unknown key or
// method, a parameter the method does not take, density outside (0, 1], a tokenizer source
// other than base, a layer_range that is not [begin, end)).
#include "merge/merge_config.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace retune::merge {
namespace {

MergeConfig parse(const std::string& text) {
  return parse_merge_config(text, "/cfg/merge.yaml");
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(MergeConfig, ReadsModelsBaseAndParameters) {
  const MergeConfig config = parse(R"(
merge_method: ties
base_model: base
models:
  - model: a+lora
    parameters:
      density: [1, 0.7, 0.1]
      weight: 1.0
  - model: /abs/b
    parameters:
      density: 0.33
      weight: [{filter: mlp, value: 0.5}, {value: 0}]
parameters: {normalize: true, int8_mask: true}
dtype: float16
out_dtype: bfloat16
tokenizer_source: base
)");
  EXPECT_EQ(config.method->name, "ties");
  ASSERT_TRUE(config.base_model);
  EXPECT_EQ(config.base_model->model, "/cfg/base");
  ASSERT_EQ(config.slices.size(), 1u);
  // The base joins the models it is not one of.
  ASSERT_EQ(config.slices[0].sources.size(), 3u);
  EXPECT_EQ(config.slices[0].sources[0].model.model, "/cfg/a");
  EXPECT_EQ(config.slices[0].sources[0].model.adapter, "/cfg/lora");
  EXPECT_EQ(config.slices[0].sources[1].model.model, "/abs/b");
  EXPECT_TRUE(config.slices[0].sources[2].model.same_as(*config.base_model));
  const ParameterSetting* density = find_setting(config.slices[0].sources[0].parameters, "density");
  ASSERT_NE(density, nullptr);
  ASSERT_EQ(density->values.size(), 3u);
  EXPECT_EQ(density->values[2].kind, Scalar::Kind::number);
  EXPECT_DOUBLE_EQ(density->values[2].number, 0.1);
  const ParameterSetting* weight = find_setting(config.slices[0].sources[1].parameters, "weight");
  ASSERT_TRUE(weight && weight->conditional);
  EXPECT_EQ(weight->conditions.size(), 2u);
  EXPECT_EQ(*weight->conditions[0].filter, "mlp");
  EXPECT_FALSE(weight->conditions[1].filter);
  EXPECT_TRUE(find_setting(config.parameters, "normalize")->values[0].boolean);
  EXPECT_EQ(config.dtype, DType::f16);
  EXPECT_EQ(config.out_dtype, DType::bf16);
  EXPECT_TRUE(config.tokenizer_source_base);
}

TEST(MergeConfig, ReadsSlices) {
  const MergeConfig config = parse(R"(
slices:
  - sources:
      - {model: a, layer_range: [0, 16]}
      - {model: b, layer_range: [0, 16], parameters: {t: 0.3}}
    parameters: {t: [0, 1]}
  - sources:
      - {model: a, layer_range: [16, 32]}
      - {model: b, layer_range: [8, 24]}
    base_model: b
merge_method: slerp
base_model: a
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - value: 0.5
)");
  ASSERT_EQ(config.slices.size(), 2u);
  EXPECT_EQ(config.slices[1].sources[1].layer_begin, 8);
  EXPECT_EQ(config.slices[1].sources[1].layer_end, 24);
  EXPECT_TRUE(config.slices[1].base_model);
  EXPECT_TRUE(find_setting(config.slices[0].parameters, "t"));
  EXPECT_TRUE(find_setting(config.slices[0].sources[1].parameters, "t"));
}

TEST(MergeConfig, RefusesAnUnknownKeyWithTheSupportedOnes) {
  EXPECT_EQ(error_of("merge_method: linear\nmodels: [{model: a}]\nnormalise: true\n"),
            "/cfg/merge.yaml:3: key 'normalise' is unknown; supported: merge_method, base_model, "
            "models, slices, parameters, dtype, out_dtype, tokenizer_source");
  EXPECT_EQ(error_of("merge_method: linear\nmodels: [{model: a}]\nchat_template: chatml\n"),
            "/cfg/merge.yaml:3: key 'chat_template' is a mergekit key retune does not support; "
            "supported: merge_method, base_model, models, slices, parameters, dtype, out_dtype, "
            "tokenizer_source");
  EXPECT_EQ(error_of("merge_method: linear\nmodels:\n  - model: a\n    weight: 1\n"),
            "/cfg/merge.yaml:4: models key 'weight' is unknown; supported: model, parameters");
}

TEST(MergeConfig, RefusesAnUnknownMethodWithTheSupportedOnes) {
  EXPECT_EQ(error_of("merge_method: karcher\nmodels: [{model: a}]\n"),
            "/cfg/merge.yaml:1: merge_method \"karcher\" is not supported; supported: linear, "
            "task_arithmetic, ties, dare_linear, dare_ties, breadcrumbs, breadcrumbs_ties, della, "
            "della_linear, slerp, nuslerp, model_stock, passthrough");
}

TEST(MergeConfig, RefusesAParameterTheMethodDoesNotTake) {
  EXPECT_EQ(error_of("merge_method: linear\nmodels: [{model: a, parameters: {density: 0.5}}]\n"),
            "/cfg/merge.yaml:2: linear takes no parameter 'density'; its parameters: weight, "
            "normalize");
}

TEST(MergeConfig, RefusesDensityOutsideZeroToOne) {
  const std::string head = "merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n";
  EXPECT_EQ(error_of(head + "    parameters: {weight: 1, density: 1.5}\n"),
            "/cfg/merge.yaml:5: density 1.5 is outside (0, 1]");
  EXPECT_EQ(error_of(head + "    parameters:\n      weight: 1\n      density: [0.5, 0]\n"),
            "/cfg/merge.yaml:7: density 0 is outside (0, 1]");
  EXPECT_EQ(error_of(head + "parameters: {density: -0.1}\n"),
            "/cfg/merge.yaml:5: density -0.1 is outside (0, 1]");
}

TEST(MergeConfig, RefusesBadValues) {
  EXPECT_EQ(error_of("merge_method: linear\nmodels: [{model: a}]\ntokenizer_source: union\n"),
            "/cfg/merge.yaml:3: tokenizer_source \"union\" is not supported; supported: base (or "
            "leave it out: the base model's tokenizer files are copied)");
  EXPECT_EQ(error_of("merge_method: linear\nmodels: [{model: a}]\ndtype: float64\n"),
            "/cfg/merge.yaml:3: dtype \"float64\" is not supported; supported: float32, "
            "bfloat16, float16");
  EXPECT_EQ(error_of("merge_method: linear\nmodels: [{model: a, parameters: {weight: heavy}}]\n"),
            "/cfg/merge.yaml:2: parameter weight must be a number, got \"heavy\"");
  EXPECT_EQ(error_of("merge_method: linear\nmodels: [{model: a}]\nparameters: {normalize: 2}\n"),
            "/cfg/merge.yaml:3: parameter normalize must be true or false, got \"2\"");
  EXPECT_EQ(error_of("merge_method: passthrough\nslices:\n  - sources:\n"
                     "      - {model: a, layer_range: [4, 2]}\n"),
            "/cfg/merge.yaml:4: layer_range [4, 2] must have 0 <= begin < end");
  EXPECT_EQ(error_of("merge_method: linear\n"),
            "/cfg/merge.yaml: exactly one of models and slices must be given");
  EXPECT_EQ(error_of("merge_method: ties\nbase_model: b\nmodels: [{model: a}]\n"
                     "parameters: {trim_scope: global}\n"),
            "/cfg/merge.yaml:4: parameter trim_scope \"global\" is not one of tensor, model");
  EXPECT_EQ(error_of("merge_method: slerp\nmodels: [{model: a}]\n: ["),
            error_of("merge_method: slerp\nmodels: [{model: a}]\n: ["));
  EXPECT_NE(error_of("merge_method: slerp\nmodels: [{model: a}]\n: [").find("invalid YAML"),
            std::string::npos);
}

}  // namespace
}  // namespace retune::merge
