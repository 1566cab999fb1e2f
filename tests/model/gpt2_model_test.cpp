#include "model/gpt2_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/safetensors_file.h"
#include "io/safetensors_model.h"
#include "io/safetensors_writer.h"
#include "model/llama_model.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune::model {
namespace {

using nlohmann::json;
using testing::HasSubstr;

std::filesystem::path fixture() {
  return hf_model_fixture("gpt2");
}

json fixture_config() {
  return json::parse(read_file(fixture() / "config.json"));
}

// Logits and final hidden states against transformers' (eager attention, f32) for both rows.
TEST(Gpt2Model, MatchesTransformers) {
  expect_matches_transformers(Gpt2Model::load(fixture()), fixture());
}

TEST(Gpt2Model, ParsesConfig) {
  const ModelConfig config = load_model_config(fixture());
  EXPECT_EQ(config.architecture, Architecture::gpt2);
  EXPECT_EQ(config.hidden_size, 64);
  EXPECT_EQ(config.intermediate_size, 128);
  EXPECT_EQ(config.num_hidden_layers, 2);
  EXPECT_EQ(config.num_attention_heads, 4);
  EXPECT_EQ(config.num_key_value_heads, 4);
  EXPECT_EQ(config.head_dim, 16);
  EXPECT_EQ(config.max_position_embeddings, 128);
  EXPECT_EQ(config.vocab_size, 320);
  EXPECT_DOUBLE_EQ(config.layer_norm_eps, 1e-5);
  EXPECT_TRUE(config.tie_word_embeddings);
}

TEST(Gpt2Model, NullInnerWidthIsFourTimesHidden) {
  json config = fixture_config();
  config["n_inner"] = nullptr;
  config.erase("tie_word_embeddings");
  const ModelConfig parsed = parse_model_config(config, "config.json");
  EXPECT_EQ(parsed.intermediate_size, 4 * 64);
  EXPECT_TRUE(parsed.tie_word_embeddings);
}

TEST(Gpt2Model, AcceptsPytorchTanhGeluAndRefusesOtherActivations) {
  json config = fixture_config();
  config["activation_function"] = "gelu_pytorch_tanh";
  EXPECT_EQ(parse_model_config(config, "config.json").architecture, Architecture::gpt2);
  config["activation_function"] = "relu";
  EXPECT_THAT(error_of([&] { parse_model_config(config, "config.json"); }),
              HasSubstr("config.json: unsupported activation_function \"relu\" for "
                        "GPT2LMHeadModel (supported: gelu_new, gelu_pytorch_tanh)"));
}

// A copy of the fixture folder whose weights are `tensors`.
void write_model(const TempDir& dir, const NamedTensors& tensors) {
  std::filesystem::copy_file(fixture() / "config.json", dir / "config.json");
  write_safetensors(dir / "model.safetensors", tensors);
}

// A bf16 file: the Conv1D weights ([in, out], so trans_b false) and the tied head stay bf16 views
// of the file, the LayerNorms and biases become f32. Its logits are those of an f32 file holding
// the same (bf16-rounded) values, up to f32 rounding.
TEST(Gpt2Model, Bf16WeightsComputeAsTheirF32Values) {
  NamedTensors bf16 = folder_tensors(fixture());
  for (auto& named : bf16) named.second = named.second.to(DType::bf16);
  NamedTensors rounded = bf16;
  for (auto& named : rounded) named.second = named.second.to(DType::f32);
  TempDir bf16_dir, rounded_dir;
  write_model(bf16_dir, bf16);
  write_model(rounded_dir, rounded);
  const auto model = Gpt2Model::load(bf16_dir.path());
  const Gpt2LayerWeights& layer = model.weights().layers[0];
  EXPECT_EQ(layer.c_attn.weight.dtype(), DType::bf16);
  EXPECT_EQ(layer.c_attn.bias.dtype(), DType::f32);
  EXPECT_EQ(model.weights().ln_f.weight.dtype(), DType::f32);
  EXPECT_EQ(model.weights().lm_head.data<uint16_t>(), model.weights().wte.data<uint16_t>());
  const auto reference = SafetensorsFile::open(fixture() / "reference.safetensors");
  const Tensor ids = reference.tensor("input_ids").to(DType::i32);
  const Tensor logits = model.forward(ids);
  const Tensor want = Gpt2Model::load(rounded_dir.path()).forward(ids);
  for (int64_t row = 0; row < 2; ++row) {
    EXPECT_LT(max_row_error(logits, want, row), 1e-4f) << "row " << row;
  }
}

TEST(Gpt2Model, MissingTensorNamesItAndItsShape) {
  NamedTensors tensors = folder_tensors(fixture());
  std::erase_if(tensors,
                [](const auto& named) { return named.first == "transformer.h.1.mlp.c_fc.weight"; });
  TempDir dir;
  write_model(dir, tensors);
  const std::string message = error_of([&] { Gpt2Model::load(dir.path()); });
  EXPECT_THAT(message, HasSubstr(dir.path().string()));
  EXPECT_THAT(message, HasSubstr("missing tensor \"transformer.h.1.mlp.c_fc.weight\" (expected "
                                 "[64, 128] from config.json)"));
}

TEST(Gpt2Model, WrongShapeNamesTensorAndBothShapes) {
  NamedTensors tensors = folder_tensors(fixture());
  for (auto& [name, tensor] : tensors) {
    // A Linear-style [out, in] weight where GPT-2's Conv1D stores [in, out].
    if (name == "transformer.h.0.attn.c_attn.weight") tensor = Tensor::zeros({192, 64}, DType::f32);
  }
  TempDir dir;
  write_model(dir, tensors);
  EXPECT_THAT(error_of([&] { Gpt2Model::load(dir.path()); }),
              HasSubstr("tensor \"transformer.h.0.attn.c_attn.weight\" has shape [192, 64], "
                        "expected [64, 192] from config.json"));
}

// The bare GPT2Model's names lack the "transformer." prefix; they load to the same model.
TEST(Gpt2Model, ReadsNamesWithoutTransformerPrefix) {
  NamedTensors tensors = folder_tensors(fixture());
  const std::string prefix = "transformer.";
  for (auto& named : tensors) named.first = named.first.substr(prefix.size());
  TempDir dir;
  write_model(dir, tensors);
  const auto reference = SafetensorsFile::open(fixture() / "reference.safetensors");
  const Tensor input_ids = reference.tensor("input_ids").to(DType::i32);
  EXPECT_EQ(Gpt2Model::load(dir.path()).forward(input_ids).to_f32_vector(),
            Gpt2Model::load(fixture()).forward(input_ids).to_f32_vector());
}

TEST(Gpt2Model, PositionsSelectLearnedRowsAndMustBeInRange) {
  const auto model = Gpt2Model::load(fixture());
  const Tensor ids =
      Tensor::from_vector<int32_t>({1, 3}, DType::i32, std::vector<int32_t>{5, 6, 7});
  const Tensor zero_based =
      Tensor::from_vector<int32_t>({1, 3}, DType::i32, std::vector<int32_t>{0, 1, 2});
  const Tensor shifted =
      Tensor::from_vector<int32_t>({1, 3}, DType::i32, std::vector<int32_t>{3, 4, 5});
  EXPECT_EQ(model.forward(ids, zero_based).to_f32_vector(), model.forward(ids).to_f32_vector());
  // Learned absolute positions: shifting them changes the output.
  EXPECT_NE(model.forward(ids, shifted).to_f32_vector(), model.forward(ids).to_f32_vector());
  const Tensor too_far =
      Tensor::from_vector<int32_t>({1, 3}, DType::i32, std::vector<int32_t>{0, 1, 128});
  EXPECT_THAT(error_of([&] { model.forward(ids, too_far); }),
              HasSubstr("position 128 (batch row 0, token 2) is outside [0, 128)"));
  EXPECT_THAT(error_of([&] {
                model.forward(Tensor::zeros({1, 129}, DType::i32));
              }),
              HasSubstr("position 128 (batch row 0, token 128) is outside [0, 128)"));
}

TEST(Gpt2Model, RefusesLlamaConfig) {
  const std::filesystem::path llama =
      std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "models" / "llama_tied";
  EXPECT_THAT(error_of([&] { Gpt2Model::load(llama); }),
              HasSubstr("LlamaForCausalLM is not a GPT-2 model"));
}

TEST(Gpt2Model, LlamaLoaderRefusesIt) {
  EXPECT_THAT(error_of([&] { LlamaModel::load(fixture()); }),
              HasSubstr("GPT2LMHeadModel is not of the Llama family"));
}

}  // namespace
}  // namespace retune::model
