// The small training runs the training-run tests share: a fixture model (qwen2), a
// prompt/completion dataset it can learn, a retain file unlike it, a base that knows the retain
// file (to measure forgetting controls on), and the retain loss as a run evaluates it.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "data/dataset_file.h"
#include "data/pad_token.h"
#include "data/tokenized_example.h"
#include "eval/loss_evaluation.h"
#include "model/causal_lm.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"
#include "tokenizer/tokenizer.h"
#include "train/train_config.h"
#include "train/training_run.h"

namespace retune::train {

// A dataset the model can learn: the completion repeats the prompt's word.
inline void write_dataset(const std::filesystem::path& path) {
  std::string lines;
  const char* words[] = {"apple", "river", "stone", "cloud", "green", "light", "sound", "paper"};
  for (int repeat = 0; repeat < 3; ++repeat) {
    for (const char* word : words) {
      lines += "{\"prompt\": \"Say " + std::string(word) + ":\", \"completion\": \" " + word + " " +
               word + "\"}\n";
    }
  }
  write_file(path, lines);
}

inline TrainConfig config_for(const TempDir& dir, TrainMethod method) {
  write_dataset(dir / "data.jsonl");
  TrainConfig config;
  config.model = hf_model_fixture("qwen2");
  config.output = dir / "out";
  config.method = method;
  config.lora.r = 4;
  config.lora.alpha = 8;
  config.lora.target_modules = {"all-linear"};
  config.data.train = {dir / "data.jsonl"};
  config.data.eval = {dir / "data.jsonl"};
  config.data.seq_len = 32;
  config.training.batch_size = 4;
  config.training.steps = 12;
  // Norm tuning and (IA)³ move a few hundred scales: they need a larger step to move the loss
  // as much.
  config.training.lr = method == TrainMethod::lora                                 ? 2e-2
                       : method == TrainMethod::norm || method == TrainMethod::ia3 ? 5e-2
                                                                                   : 5e-3;
  config.schedule.kind = LrScheduleKind::constant;
  return config;
}

// config_for with a retain file of text unlike the training data.
inline TrainConfig config_with_retain(const TempDir& dir, TrainMethod method) {
  TrainConfig config = config_for(dir, method);
  write_file(dir / "retain.jsonl",
             "{\"text\": \"the quiet river runs past the old stone mill\"}\n");
  config.data.retain = {dir / "retain.jsonl"};
  return config;
}

// A base that knows the retain text: the fixture model trained on it first. Fine-tuning it on
// the word-repeating data (config_with_retain, hard: full, a large learning rate) forgets it.
inline TrainConfig forgetting_config(const TempDir& dir) {
  TrainConfig config = config_with_retain(dir, TrainMethod::full);
  TrainConfig learn_retain = config;
  learn_retain.data.train = config.data.retain;
  learn_retain.data.eval = {};
  learn_retain.data.retain = {};
  learn_retain.output = dir / "base";
  learn_retain.training.steps = 30;
  config.model = run_training(learn_retain, false, {}).output;
  config.training.lr = 2e-2;
  return config;
}

// The loss of `model` on a retain file, as the run evaluates it.
inline double retain_loss(const model::CausalLm& model, const TrainConfig& config,
                          const std::filesystem::path& file) {
  Tokenizer tokenizer = Tokenizer::load(config.model);
  return eval::evaluate_loss(
             model, tokenize_examples(read_examples(file, DataFormat::detect), tokenizer, {}),
             config.data.seq_len, config.training.batch_size, pad_token_id(config.model, tokenizer))
      .loss;
}

// Trains `make(dir)` straight through, and again in another folder stopped by an error after
// step `stop` and resumed from its last checkpoint: the two model folders' weights must be the
// same bytes (a full-training config; `make` sets save_every).
inline void expect_resumes_bitwise(const std::function<TrainConfig(const TempDir&)>& make,
                                   int64_t stop) {
  TempDir straight_dir;
  run_training(make(straight_dir), false, {});
  TempDir dir;
  const TrainConfig config = make(dir);
  const RunEvents interrupt{.step = [stop](const StepReport& report, int64_t) {
    if (report.step == stop) fail("interrupted");
  }};
  EXPECT_EQ(error_of([&] { run_training(config, false, interrupt); }), "interrupted");
  run_training(config, true, {});
  EXPECT_EQ(read_file(config.output / "model" / "model.safetensors"),
            read_file(make(straight_dir).output / "model" / "model.safetensors"));
}

}  // namespace retune::train
