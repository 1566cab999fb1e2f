// Model folders made from scratch: they load with load_causal_lm, hold the parameter count worked
// out by hand, weights drawn as transformers' _init_weights draws them, the same file for the
// same seed; invalid sizes are refused before anything is written.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "io/safetensors_file.h"
#include "model/causal_lm.h"
#include "pretrain/char_tokenizer.h"
#include "pretrain/initial_model_folder.h"
#include "pretrain/initial_weights.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

using model::Architecture;

// The char tokenizer of "abcdefgh": <|endoftext|>, <unk> and 8 characters, V = 10.
pretrain::TokenizerWriter ten_token_tokenizer() {
  return [](const std::filesystem::path& folder) {
    pretrain::write_tokenizer_files(folder, pretrain::make_char_tokenizer({"abcdefgh"}, 8));
  };
}

// C 16, F 32, one layer, 4 heads (D 4), 2 kv heads, 8 positions.
pretrain::ModelSpec small_spec(Architecture architecture, bool tie) {
  return {.architecture = architecture,
          .hidden = 16,
          .intermediate = 32,
          .layers = 1,
          .heads = 4,
          .kv_heads = architecture == Architecture::gpt2 ? 4 : 2,
          .max_positions = 8,
          .tie_word_embeddings = tie};
}

TEST(PretrainInitialModel, CountsParametersAsWorkedOutByHand) {
  auto count = [](Architecture architecture, bool tie) {
    pretrain::ModelSpec spec = small_spec(architecture, tie);
    spec.vocab = 10;
    return pretrain::parameter_count(spec);
  };
  // Llama: embed 10*16 + layer (norms 2*16, q 16*16, k and v 8*16 each, o 16*16, gate and up
  // 32*16 each, down 16*32) + final norm 16 = 160 + 2336 + 16.
  EXPECT_EQ(count(Architecture::llama, true), 2512);
  EXPECT_EQ(count(Architecture::llama, false), 2512 + 160);
  EXPECT_EQ(count(Architecture::qwen2, true), 2512 + 16 + 8 + 8);  // q, k, v biases
  EXPECT_EQ(count(Architecture::qwen3, true), 2512 + 4 + 4);       // q_norm, k_norm over D
  // GPT-2: wte 160, wpe 8*16, ln_1 32, c_attn 16*48+48, attn c_proj 16*16+16, ln_2 32, c_fc
  // 16*32+32, mlp c_proj 32*16+16, ln_f 32.
  EXPECT_EQ(count(Architecture::gpt2, true), 160 + 128 + 32 + 816 + 272 + 32 + 544 + 528 + 32);
}

TEST(PretrainInitialModel, LoadsInEveryArchitecture) {
  for (const Architecture architecture :
       {Architecture::llama, Architecture::qwen2, Architecture::qwen3, Architecture::gpt2}) {
    for (const bool tie : {true, false}) {
      TempDir dir;
      const pretrain::ModelSpec spec = pretrain::write_initial_model_folder(
          dir / "m", small_spec(architecture, tie), 7, ten_token_tokenizer());
      EXPECT_EQ(spec.vocab, 10);
      const auto model = model::load_causal_lm(dir / "m");
      const model::ModelConfig& config = model->config();
      EXPECT_EQ(config.architecture, architecture);
      EXPECT_EQ(config.vocab_size, 10);
      EXPECT_EQ(config.hidden_size, 16);
      EXPECT_EQ(config.tie_word_embeddings, tie);
      EXPECT_EQ(config.num_key_value_heads, spec.kv_heads);
      EXPECT_EQ(
          folder_listing(dir / "m"),
          (std::vector<std::string>{"config.json", "generation_config.json", "model.safetensors",
                                    "tokenizer.json", "tokenizer_config.json"}));
      const Tensor logits = model->forward(
          Tensor::from_vector<int32_t>({1, 3}, DType::i32, std::vector<int32_t>{2, 3, 4}));
      for (const float value : logits.to_f32_vector()) ASSERT_TRUE(std::isfinite(value));
    }
  }
}

struct Moments {
  double mean = 0;
  double std = 0;
};

Moments moments(const std::vector<float>& values) {
  double sum = 0;
  double squares = 0;
  for (const float value : values) {
    sum += value;
    squares += static_cast<double>(value) * value;
  }
  const double n = static_cast<double>(values.size());
  return {sum / n, std::sqrt(squares / n - (sum / n) * (sum / n))};
}

TEST(PretrainInitialModel, DrawsWeightsAsTransformersDoes) {
  TempDir dir;
  pretrain::ModelSpec spec = small_spec(Architecture::gpt2, false);
  spec.hidden = 64;
  spec.intermediate = 256;
  spec.layers = 2;
  pretrain::write_initial_model_folder(dir / "m", spec, 0, ten_token_tokenizer());
  const SafetensorsFile file = SafetensorsFile::open(dir / "m/model.safetensors");
  const auto values = [&](const std::string& name) { return file.tensor(name).to_f32_vector(); };
  for (const char* name : {"transformer.h.1.attn.c_attn.weight", "transformer.h.0.mlp.c_fc.weight",
                           "lm_head.weight", "transformer.wte.weight"}) {
    const Moments m = moments(values(name));
    EXPECT_NEAR(m.mean, 0.0, 0.002) << name;
    EXPECT_NEAR(m.std, 0.02, 0.002) << name;
  }
  // The residual projections: 0.02 / sqrt(2 * layers) = 0.01.
  const Moments residual = moments(values("transformer.h.0.mlp.c_proj.weight"));
  EXPECT_NEAR(residual.std, 0.01, 0.001);
  for (const float value : values("transformer.h.0.ln_1.weight")) ASSERT_EQ(value, 1.0f);
  for (const char* name :
       {"transformer.h.0.ln_1.bias", "transformer.h.1.attn.c_proj.bias", "transformer.ln_f.bias"}) {
    for (const float value : values(name)) ASSERT_EQ(value, 0.0f) << name;
  }
}

TEST(PretrainInitialModel, ZeroesThePadRowOfTheLlamaEmbedding) {
  TempDir dir;
  pretrain::ModelSpec spec = small_spec(Architecture::qwen2, true);
  const pretrain::ModelSpec written =
      pretrain::write_initial_model_folder(dir / "m", spec, 0, ten_token_tokenizer());
  ASSERT_EQ(written.pad_id, 0);
  const SafetensorsFile file = SafetensorsFile::open(dir / "m/model.safetensors");
  const std::vector<float> embed = file.tensor("model.embed_tokens.weight").to_f32_vector();
  for (int c = 0; c < 16; ++c) ASSERT_EQ(embed[c], 0.0f);
  EXPECT_NE(embed[16], 0.0f);
  for (const float value : file.tensor("model.layers.0.self_attn.k_proj.bias").to_f32_vector()) {
    ASSERT_EQ(value, 0.0f);
  }
  for (const float value : file.tensor("model.norm.weight").to_f32_vector()) ASSERT_EQ(value, 1.0f);
}

TEST(PretrainInitialModel, SameSeedGivesTheSameFile) {
  TempDir dir;
  const pretrain::ModelSpec spec = small_spec(Architecture::llama, true);
  pretrain::write_initial_model_folder(dir / "a", spec, 3, ten_token_tokenizer());
  pretrain::write_initial_model_folder(dir / "b", spec, 3, ten_token_tokenizer());
  pretrain::write_initial_model_folder(dir / "c", spec, 4, ten_token_tokenizer());
  for (const char* name : {"model.safetensors", "config.json", "tokenizer.json"}) {
    EXPECT_EQ(read_file(dir / "a" / name), read_file(dir / "b" / name)) << name;
  }
  EXPECT_NE(read_file(dir / "a/model.safetensors"), read_file(dir / "c/model.safetensors"));
}

TEST(PretrainInitialModel, RefusesInvalidSizesWritingNothing) {
  TempDir dir;
  const auto refused = [&](pretrain::ModelSpec spec) {
    const std::string message = error_of(
        [&] { pretrain::write_initial_model_folder(dir / "m", spec, 0, ten_token_tokenizer()); });
    EXPECT_TRUE(folder_listing(dir.path()).empty()) << message;
    return message;
  };
  pretrain::ModelSpec spec = small_spec(Architecture::llama, true);
  spec.heads = 3;
  spec.kv_heads = 3;
  EXPECT_EQ(refused(spec), "hidden (16) must be a multiple of heads (3)");
  spec = small_spec(Architecture::llama, true);
  spec.kv_heads = 3;
  EXPECT_EQ(refused(spec), "heads (4) must be a multiple of kv_heads (3)");
  spec = small_spec(Architecture::gpt2, true);
  spec.kv_heads = 2;
  EXPECT_EQ(refused(spec),
            "gpt2 has no grouped-query attention: kv_heads (2) must equal heads (4)");
  spec = small_spec(Architecture::llama, true);
  spec.layers = 0;
  EXPECT_EQ(refused(spec), "layers must be at least 1, got 0");
  spec = small_spec(Architecture::llama, true);
  spec.heads = 8;
  spec.kv_heads = 8;
  spec.hidden = 24;
  EXPECT_EQ(refused(spec),
            "hidden / heads = 3 must be even (rotary embeddings rotate pairs of dims)");
  spec = small_spec(Architecture::llama, true);
  const auto no_eos = [](const std::filesystem::path& folder) {
    auto files = pretrain::make_char_tokenizer({"ab"}, 8);
    files.config.erase("eos_token");
    pretrain::write_tokenizer_files(folder, files);
  };
  EXPECT_EQ(error_of([&] { pretrain::write_initial_model_folder(dir / "m", spec, 0, no_eos); }),
            "the tokenizer's tokenizer_config.json names no eos_token (training ends every "
            "document with it)");
  EXPECT_TRUE(folder_listing(dir.path()).empty());
}

}  // namespace
}  // namespace retune
