// A tiny continual-learning set-up the continual tests share: a character-level Llama-style
// model made from scratch (hidden 32, one layer) and two short procedural tasks, copy and
// reverse of one or two letters, that it learns in a few dozen steps.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "continual/continual_config.h"
#include "pretrain/char_tokenizer.h"
#include "pretrain/corpus_text.h"
#include "pretrain/initial_model_folder.h"
#include "support/temp_dir.h"
#include "tasks/task_generation.h"

namespace retune::continual {

inline ContinualTask tiny_task(const std::filesystem::path& dir, const std::string& name) {
  ContinualTask task{name, dir / (name + "-train.jsonl"), dir / (name + "-test.jsonl")};
  tasks::write_task_jsonl(
      tasks::generate_task(name, {.n = 200, .seed = 1, .min_len = 1, .max_len = 2}), task.train);
  tasks::write_task_jsonl(
      tasks::generate_task(
          name, {.n = 20, .seed = 2, .split = tasks::Split::test, .min_len = 1, .max_len = 2}),
      task.test);
  return task;
}

// Tasks copy and reverse, a fresh model over their characters, and a config training each task
// in full for 24 steps with an evaluation every 8.
inline ContinualConfig tiny_continual_config(const TempDir& dir) {
  ContinualConfig config;
  config.tasks = {tiny_task(dir.path(), "copy"), tiny_task(dir.path(), "reverse")};
  const std::vector<std::string> texts = pretrain::read_corpus_texts(
      {config.tasks[0].train, config.tasks[0].test, config.tasks[1].train, config.tasks[1].test});
  pretrain::ModelSpec spec;
  spec.hidden = 32;
  spec.intermediate = 64;
  spec.layers = 1;
  spec.heads = 2;
  spec.kv_heads = 2;
  spec.max_positions = 32;
  pretrain::write_initial_model_folder(dir / "base", spec, 0, [&](const std::filesystem::path& f) {
    pretrain::write_tokenizer_files(f, pretrain::make_char_tokenizer(texts, 32));
  });
  config.train.model = dir / "base";
  config.train.output = dir / "out";
  config.train.method = train::TrainMethod::full;
  config.train.data.seq_len = 32;
  config.train.training.batch_size = 16;
  config.train.training.steps = 24;
  config.train.training.lr = 1e-2;
  config.train.schedule.kind = train::LrScheduleKind::constant;
  config.train.lora.r = 4;
  config.train.lora.alpha = 8;
  config.train.lora.target_modules = {"all-linear"};
  config.eval_every = 8;
  return config;
}

}  // namespace retune::continual
