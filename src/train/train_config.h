// TrainConfig: everything `retune train CONFIG.yaml [--set key=value ...]` reads, with the
// defaults a run gets for every key the file leaves out. The YAML mirrors the struct: a key
// per field, nested maps for the groups ("lora.r", "training.lr", "schedule.kind" ...); see
// examples/ for commented configs. Every key can be set from the command line with
// --set group.key=value (a YAML value: 8, 2e-4, true, [q_proj, v_proj], "all-linear"; quote a
// string YAML would read otherwise, such as a regex starting with "[" or "*").
//
// Where the YAML differs from the struct: training.optimizer is OptimizerOptions::kind and
// training.{weight_decay, beta1, beta2, eps, momentum, dampening, nesterov} its other fields;
// schedule.decay_shape is "cosine", "linear" or "1-sqrt" (HF's decay_type); schedule.peak_lr and
// schedule.total_steps are not keys (training.lr and the run's step count give them).
// lora.target_modules is PEFT's: a list of module names, "all-linear" (any case; stored as the
// list {"all-linear"}) or any other string, a regex (stored in target_regex, the list cleared).
// lora.layers_to_transform is an integer or a list. A null value (`key: ~`, or nothing after
// the colon) unsets an optional key (tokenizer, adapter, sparse.mask, data.chat_template, threads,
// forgetting.fpf_lr, schedule.rewarm_at, schedule.rewarm_steps) and is an error for any other.
//
// Paths (model, tokenizer, output, adapter, data.train, data.eval, data.retain, calibration.data,
// sparse.mask,
// forgetting.replay_data, forgetting.ewc_data, forgetting.distill_data, forgetting.fpf_data)
// written in the file are relative to the file's folder, so that a checked-in config works from
// any current directory; paths given with --set are relative to the current directory. model
// and tokenizer are local folders (a hub id is not downloaded).
//
// Errors (retune::Error) name where and what: "<file>:<line>: training.batch_size must be an
// integer >= 1, got \"four\"", "<file>:<line>: unknown key \"training.learning_rate\"; did you
// mean training.lr?", "--set lora.rank: unknown key; did you mean lora.r?", "--set:
// lora.dropout must be a number in [0, 1), got \"1\"", "<file>: missing required key
// \"data.train\"", "<file>:<line>:<column>: invalid YAML: <parser's message>". Only ranges a
// key has on its own are checked here; the schedule as a whole is validated by
// validate_lr_schedule once the step count is known.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/ia3_config.h"
#include "adapters/poly_config.h"
#include "adapters/ssf_config.h"
#include "core/device.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"

namespace retune::train {

enum class TrainMethod {
  lora,    // LoRA (lora.use_dora for DoRA, lora.use_rslora for rsLoRA)
  ia3,     // (IA)³ (the ia3 settings; adapters/ia3_model.h)
  ssf,     // SSF: scale and shift after linears and norms (the ssf settings; adapters/ssf_model.h)
  full,    // every weight
  bitfit,  // the biases only
  norm,    // the normalisation weights (and biases) only
  lt_sft,  // LT-SFT: a dense phase, then only the K most changed entries (train/sparse_update.h)
  s2ft,    // S2FT: dense blocks on chosen heads' and FFN channels' slices (adapters/s2ft_model.h)
  poly,    // Poly / MHR: routed LoRA skills per task (the poly settings; adapters/poly_model.h)
};

// method poly: PEFT's PolyConfig (poly.r, poly.n_tasks, poly.n_skills, poly.n_splits,
// poly.target_modules, poly.exclude_modules, poly.modules_to_save), the task names in id order
// (poly.tasks; n_tasks defaults to their count) and what trains (poly.train: "all", or "router"
// for MHR-z: the routing logits only, continuing an `adapter:`, whose routers grow to
// poly.n_tasks rows when that is larger).
struct PolySettings {
  adapters::PolyConfig config;
  bool n_tasks_set = false;
  std::vector<std::string> tasks;
  std::string train = "all";
};

struct LoraSettings {
  int64_t r = 8;
  double alpha = 8;
  double dropout = 0;
  bool use_rslora = false;
  bool use_dora = false;
  // Module names ("q_proj", matched as the last parts of a module's path), a regex string
  // matched against the whole path, or "all-linear". PEFT's default for Llama: q_proj, v_proj.
  std::vector<std::string> target_modules = {"q_proj", "v_proj"};
  std::optional<std::string> target_regex;   // set instead of target_modules for a string
  std::vector<std::string> exclude_modules;  // names (a list; PEFT's regex string is refused)
  std::vector<int64_t> layers_to_transform;  // empty: every layer
  std::map<std::string, int64_t> rank_pattern;
  std::map<std::string, double> alpha_pattern;
  // PEFT's init_lora_weights: "kaiming" (PEFT's true) or "gaussian" draw A at random with
  // B = 0; "pissa", "pissa_niter_<k>", "olora", "eva", "corda" and "lora_ga" compute the start
  // (adapters/lora_initialisation.h; the last three from the `calibration` data).
  std::string init = "kaiming";
  // lora.init mhr_mu: the Poly adapter folder whose skills are averaged into the LoRA (MHR-μ;
  // adapters/mhr_mu.h); its targets and rank replace lora.r and lora.target_modules.
  std::optional<std::filesystem::path> init_adapter;
  std::string corda_mode = "ipm";           // ipm (task data) | kpm (data whose knowledge to keep)
  double eva_rho = 2;                       // EVA (adapters/eva_start.h): components per rank, >= 1
  double eva_tau = 0.99;                    // convergence threshold, in (0, 1]
  bool eva_label_mask = true;               // only trained tokens' inputs
  bool eva_adjust_scaling = true;           // alpha follows the redistributed rank
  int64_t eva_max_passes = 100;             // over the calibration data before giving up
  std::string loraga_variant = "official";  // official | peft (adapters/lora_ga_start.h)
  double loraga_gamma = 16;
  // Modules trained in full and saved with the adapter ("lm_head"; adapters/modules_to_save.h).
  std::vector<std::string> modules_to_save;
};

// Bounds on a micro-batch, so that sizes multiplied from them stay within int64: a row of at
// most 2^20 tokens, at most 2^16 rows.
inline constexpr int64_t kMaxSeqLen = int64_t{1} << 20;
inline constexpr int64_t kMaxBatchSize = int64_t{1} << 16;

struct DataSettings {
  std::vector<std::filesystem::path> train;  // JSONL or .txt files (required)
  std::vector<std::filesystem::path> eval;   // held-out files; empty: no evaluation
  // What the model should keep knowing: each file's loss is evaluated before the first step and
  // at every evaluation, and its rise from the base model's is reported as forgetting. Each
  // file's format is detected (data.format is for train and eval).
  std::vector<std::filesystem::path> retain;
  std::string format = "auto";  // auto | text | prompt_completion | alpaca | chat
  int64_t seq_len = 512;
  bool packing = true;
  bool train_on_all = false;                 // false: loss on completions / assistant turns only
  std::optional<std::string> chat_template;  // chatml | llama3; default: the tokenizer's
  bool shuffle = true;
  // At every evaluation, also the exact match of greedy completions (eval/exact_match.h, answers
  // stripped) on the prompt/completion examples of the eval and retain files.
  bool exact_match = false;
  // A training example longer than seq_len: "truncate" keeps its first row, "split" cuts it into
  // consecutive rows (data/long_documents.h) — pretraining on long texts.
  std::string long_documents = "truncate";
};

// The data the data-driven LoRA initialisations (EVA, CorDA, LoRA-GA) run the base model on:
// the first `rows` examples of `data` (default: data.train), `batch_size` per batch, each cut to
// data.seq_len tokens (CorDA takes each example as one sample).
struct CalibrationSettings {
  std::vector<std::filesystem::path> data;
  int64_t rows = 128;
  int64_t batch_size = 4;
};

// LT-SFT (method lt_sft, train/lt_sft_run.h): the decoder layers' linear weights train densely
// for dense_steps (0: training.steps), the K entries that moved most are kept — K = count, or
// fraction of the maskable entries when count is 0 — and training starts again from the base
// with only those entries changing, for training.steps. `mask` (an indices file, as the run
// writes mask.safetensors) trains a full, lt_sft run on a given mask instead.
struct SparseSettings {
  double fraction = 0.01;
  int64_t count = 0;
  int64_t dense_steps = 0;
  std::optional<std::filesystem::path> mask;
};

// IST (train/ist_schedule.h) around an adapter (method lora): each step only a share of the
// layers' adapters train, drawn by importance scores updated every `every` steps from trial
// losses on `rows` training examples with some layers' adapters suppressed. The defaults are
// the paper's.
struct IstSettings {
  bool enabled = false;
  int64_t every = 10;
  double active_fraction = 0.25;
  int64_t trials = 3;
  double suppressed_fraction = 0.5;
  double suppression = 0.25;
  double reward_scale = 10;
  int64_t rows = 16;
};

// S2FT (method s2ft, adapters/s2ft_selection.h): the shares of all heads (counted in KV groups)
// and of all FFN channels, drawn across layers with `seed`, whose o_proj / down_proj input
// columns and v_proj / up_proj output rows train (the released scripts' defaults).
struct S2ftSettings {
  double o_ratio = 0.052;
  double d_ratio = 0.02;
  double v_ratio = 0;
  double u_ratio = 0;
  uint64_t seed = 0;
};

struct TrainingSettings {
  int64_t batch_size = 4;  // rows per micro-batch
  int64_t grad_accum = 1;  // micro-batches per optimizer step
  int64_t steps = 0;       // optimizer steps; 0: `epochs` decide
  double epochs = 1;       // passes over the training rows when steps is 0
  double lr = 2e-4;
  OptimizerOptions optimizer;  // kind (adamw | sgd), weight_decay, betas, eps, momentum
  double max_grad_norm = 1.0;
  uint64_t seed = 0;
  int64_t max_skipped_steps = 0;  // non-finite steps skipped before stopping
  // Where the steps run: cpu, or cuda[:N]: every method, with the forgetting controls and the
  // evaluations during training, runs on either.
  Device device = Device::cpu();
  // The most any data.retain file's loss may rise over the base model's: at an evaluation past
  // it, training stops and the output is the best evaluation's weights within it (the lowest
  // eval loss, or the latest without data.eval). Unset: no budget.
  std::optional<double> forgetting_budget;
};

// Ways to limit forgetting besides training.forgetting_budget (METHODS.md Part B); all off by
// default. The learning-rate side (re-warm, re-decay, the infinite schedule) is in `schedule`.
struct ForgettingSettings {
  // Replay: this fraction of every batch's rows comes from replay_data (data/replay_mix.h), in
  // [0, 1). The replay files default to data.retain.
  double replay = 0;
  std::vector<std::filesystem::path> replay_data;
  // L2-SP and EWC weights (train/weight_anchor.h), >= 0; EWC's Fisher is estimated on the first
  // ewc_rows examples of the ewc_data files (default: data.retain), in file order, one example
  // per row and backward pass.
  double l2sp = 0;
  double ewc = 0;
  int64_t ewc_rows = 64;
  std::vector<std::filesystem::path> ewc_data;
  // Self-distillation on retain data (train/self_distillation.h): every optimizer step adds
  // distill · τ² · KL(p_base || p_model) over one micro-batch of retain rows, p = softmax(logits
  // / τ), τ = distill_temperature (> 0). The base model's outputs are computed before the first
  // step for the first distill_rows examples of the distill_data files (default: data.retain),
  // in file order, one example per row; distill >= 0 (0: off).
  double distill = 0;
  double distill_temperature = 1;
  int64_t distill_rows = 64;
  std::vector<std::filesystem::path> distill_data;
  // k-FPF (train/fpf_phase.h): every fpf_every optimizer steps (0: off), fpf_steps micro-batches
  // of the fpf_data files (default data.retain) fine-tune only the trained tensors fpf_modules
  // names ("norm", "lm_head", "last_layer", or any part of a tensor's name) at fpf_lr (default
  // training.lr).
  int64_t fpf_every = 0;
  int64_t fpf_steps = 10;
  std::optional<double> fpf_lr;
  std::vector<std::filesystem::path> fpf_data;
  std::vector<std::string> fpf_modules = {"norm", "lm_head", "last_layer"};
};

struct TrainConfig {
  std::filesystem::path model;                     // the base model folder (required)
  std::optional<std::filesystem::path> tokenizer;  // default: the model folder
  std::filesystem::path output;                    // the output folder (required)
  TrainMethod method = TrainMethod::lora;
  // method lora, ia3 or ssf: an adapter folder of that method (peft_type "LORA" / "IA3" / "SSF")
  // to go on training instead of a new adapter; its adapter_config.json then replaces the lora /
  // ia3 / ssf settings.
  std::optional<std::filesystem::path> adapter;
  LoraSettings lora;
  // method ia3: PEFT's IA3Config. Keys ia3.target_modules (module names, "all-linear" or a
  // regex string; null: PEFT's default for the architecture), ia3.feedforward_modules (names,
  // each a plain suffix of a target's name, or a regex; null: the default; [] for none),
  // ia3.exclude_modules (names or a regex) and ia3.modules_to_save (a list of module names).
  adapters::Ia3Config ia3;
  // method ssf: keys ssf.target_modules (module names or suffixes of linears and decoder-layer
  // norms, "all-linear" or a regex string; null: every linear and norm), ssf.init_std (σ of the
  // N(1, σ²) scales and N(0, σ²) shifts, >= 0) and ssf.unmergeable_shifts (create the shifts no
  // exported bias can hold too: the adapter then works unmerged only). Seeded by training.seed.
  adapters::SsfConfig ssf;
  PolySettings poly;
  CalibrationSettings calibration;
  SparseSettings sparse;
  IstSettings ist;
  S2ftSettings s2ft;
  DataSettings data;
  TrainingSettings training;
  ForgettingSettings forgetting;
  LrSchedule schedule;  // kind, warmup_steps, min_lr_ratio, ...; peak_lr and total_steps come
                        // from training.lr and the step count
  int64_t log_every = 1;
  int64_t eval_every = 0;        // 0: evaluate at the start and the end only
  int64_t save_every = 0;        // 0: a checkpoint at the end only
  int64_t save_total_limit = 0;  // keep the newest N checkpoints, removing older ones; 0: all
  std::optional<int> threads;
  bool force = false;  // start even when the memory estimate exceeds the machine's
};

// Reads the YAML file, then applies each "key=value" override in order. An unknown key is an
// error naming the file (or --set) and suggesting the nearest known key; a value of the wrong
// type or range names the key and what was expected; a missing required key names it.
// `other_group` names a top-level group of another command's settings in the same file
// (`retune continual`'s "continual"), which is skipped here; data.train is then not required
// (that command supplies the data).
TrainConfig load_train_config(const std::filesystem::path& file,
                              const std::vector<std::string>& overrides,
                              const std::string& other_group = "");

// The method as summaries name it: "lora", "dora", "ia3", "ssf", "full", "bitfit", "norm", "lt_sft"
// or "s2ft".
std::string method_name(const TrainConfig& config);

// Whether the method trains an adapter, saved as output/adapter (lora, ia3, ssf), rather than base
// weights, saved as output/model.
bool trains_adapter(TrainMethod method);

// Every key the config knows, dotted ("lora.r"), for help texts and suggestions.
std::vector<std::string> train_config_keys();

}  // namespace retune::train
