// A whole `retune train` run as a library call: the model, the data, the method, the step loop,
// evaluation, checkpoints, metrics and the final output, from a TrainConfig.
//
// The output folder (config.output) holds, when the run ends:
//   adapter/            LoRA / DoRA: a PEFT adapter folder (adapter_config.json,
//                       adapter_model.safetensors) that PeftModel.from_pretrained loads
//   model/              full, bitfit, norm, lt_sft, s2ft: a Hugging Face model folder (the base
//                       folder's config and tokenizer files, the weights in the base's dtypes;
//                       s2ft's blocks fused, in the base's layout)
//   s2ft/               s2ft: its blocks as a sparse difference (adapters/sparse_diff.h)
//   sparse_diff/        with sparse.mask: θ - θ0 at the mask's entries (adapters/sparse_diff.h)
//   checkpoint-<step>/  every save_every steps and at the end (train/checkpoint.h)
//   metrics.jsonl       one JSON object per logged step ({"step", "loss", "lr", "grad_norm",
//                       "tokens_per_second", "epoch"; "penalty" with L2-SP or EWC, "distill"
//                       with self-distillation: its τ² KL before the weight λ) and per
//                       evaluation ({"step",
//                       "eval_loss", "eval_perplexity", "eval_tokens" with data.eval files;
//                       "retain": {file: {"loss", "perplexity", "forgetting"}} with
//                       data.retain files, forgetting = loss - the base model's loss})
//   summary.json        what the run did (see TrainSummary)
// A run with training.forgetting_budget stops at the first evaluation where a data.retain
// file's loss rose past the budget; its output is then the best evaluation's weights within the
// budget (kept in memory: a copy of the trained tensors), and its last checkpoint is the one
// before the stop.
// With resume, the run continues from the latest checkpoint in the output folder: the trained
// tensors, the optimizer, the data position and the step, so that on the CPU with the same
// thread count the result is bitwise the one an uninterrupted run gives.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "train/retain_set.h"
#include "train/train_config.h"
#include "train/trainer.h"

namespace retune::train {

struct TrainSummary {
  int64_t steps = 0;                 // optimizer steps done in all (a resumed run included)
  int64_t trainable_parameters = 0;  // elements
  int64_t total_parameters = 0;      // the base model's elements, plus the adapters'
  double seconds = 0;                // this process's training time
  double tokens_per_second = 0;      // input tokens of this process's steps / seconds
  int64_t peak_rss_bytes = 0;
  int64_t peak_device_bytes = 0;          // the GPU memory retune held at most (0 on the CPU)
  int64_t truncated_examples = 0;         // training examples longer than data.seq_len
  int64_t skipped_steps = 0;              // steps not applied: a non-finite loss or gradient norm
  std::optional<double> first_eval_loss;  // before the first step (the base model)
  std::optional<double> last_eval_loss;
  // One per data.retain file, in order; last_loss at the evaluation whose weights were output.
  std::vector<RetainResult> retain;
  // With training.forgetting_budget: the evaluation that went past it (training stopped there)
  // and the step whose weights were output instead.
  std::optional<int64_t> budget_exceeded_at;
  std::optional<int64_t> output_step;
  std::filesystem::path output;  // the adapter/ or model/ folder
};

// What the run tells its caller as it goes (the CLI's progress display and log lines).
struct RunEvents {
  std::function<void(const std::string& line)> note;  // set-up facts, evaluations, checkpoints
  std::function<void(const StepReport& report, int64_t total_steps)> step;
};

// Runs the config; throws retune::Error for bad input (naming the file, line, key or tensor)
// before any output is written, and for a failure during training after the last checkpoint.
// Method lt_sft without sparse.mask runs its two phases (train/lt_sft_run.h).
TrainSummary run_training(const TrainConfig& config, bool resume, const RunEvents& events);

// One training run, whatever the method (lt_sft with sparse.mask: its sparse phase, whose output
// is also sparse_diff/, adapters/sparse_diff.h).
TrainSummary run_training_phase(const TrainConfig& config, bool resume, const RunEvents& events);

}  // namespace retune::train
