// TrainConfig from YAML: every key round-trips, the defaults, --set overrides, relative paths,
// each error message, and the example configs in examples/.
#include "train/train_config.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::train {
namespace {

namespace fs = std::filesystem;

using Entries = std::vector<std::pair<std::string, std::string>>;  // dotted key, YAML value

// The YAML file that sets each dotted key, groups nested as maps; entries of a group adjacent.
std::string nested_yaml(const Entries& entries) {
  std::string yaml;
  std::vector<std::string> open;  // the groups the previous entry was in
  for (const auto& [key, value] : entries) {
    std::vector<std::string> parts;
    for (size_t start = 0, dot = 0; dot != std::string::npos; start = dot + 1) {
      dot = key.find('.', start);
      parts.push_back(key.substr(start, dot - start));
    }
    size_t same = 0;
    while (same < open.size() && same + 1 < parts.size() && open[same] == parts[same]) ++same;
    open.resize(same);
    while (open.size() + 1 < parts.size()) {
      yaml += std::string(2 * open.size(), ' ') + parts[open.size()] + ":\n";
      open.push_back(parts[open.size()]);
    }
    yaml += std::string(2 * open.size(), ' ') + parts.back() + ": " + value + "\n";
  }
  return yaml;
}

// Every key, each to a value other than its default.
const Entries kEveryKey = {
    {"model", "models/base"},
    {"tokenizer", "/abs/tokenizer"},
    {"output", "out"},
    {"adapter", "runs/prev/adapter"},
    {"method", "bitfit"},
    {"log_every", "5"},
    {"eval_every", "50"},
    {"save_every", "100"},
    {"save_total_limit", "3"},
    {"threads", "3"},
    {"force", "true"},
    {"lora.r", "16"},
    {"lora.alpha", "32"},
    {"lora.dropout", "0.05"},
    {"lora.use_rslora", "true"},
    {"lora.use_dora", "yes"},
    {"lora.target_modules", "[q_proj, k_proj]"},
    {"lora.exclude_modules", "[lm_head]"},
    {"lora.layers_to_transform", "[0, 2]"},
    {"lora.rank_pattern", "{o_proj: 4, \"model.layers.1.v_proj\": 2}"},
    {"lora.alpha_pattern", "{o_proj: 2.5}"},
    {"lora.init", "gaussian"},
    {"lora.init_adapter", "runs/poly/adapter"},
    {"lora.corda_mode", "kpm"},
    {"lora.eva_rho", "3"},
    {"lora.eva_tau", "0.9"},
    {"lora.eva_label_mask", "false"},
    {"lora.eva_adjust_scaling", "false"},
    {"lora.eva_max_passes", "7"},
    {"lora.loraga_variant", "peft"},
    {"lora.loraga_gamma", "8"},
    {"ia3.target_modules", "[k_proj, v_proj, up_proj]"},
    {"ia3.feedforward_modules", "[up_proj]"},
    {"ia3.exclude_modules", "'.*\\.0\\..*'"},
    {"ia3.modules_to_save", "[norm]"},
    {"ssf.target_modules", "[input_layernorm, q_proj]"},
    {"ssf.init_std", "0.05"},
    {"ssf.unmergeable_shifts", "true"},
    {"poly.r", "4"},
    {"poly.n_tasks", "2"},
    {"poly.n_skills", "3"},
    {"poly.n_splits", "2"},
    {"poly.target_modules", "[q_proj, o_proj]"},
    {"poly.exclude_modules", "[lm_head]"},
    {"poly.modules_to_save", "[norm]"},
    {"poly.tasks", "[sum, copy]"},
    {"poly.train", "router"},
    {"sparse.fraction", "0.05"},
    {"sparse.count", "100"},
    {"sparse.dense_steps", "9"},
    {"sparse.mask", "m.safetensors"},
    {"ist.enabled", "true"},
    {"ist.every", "5"},
    {"ist.active_fraction", "0.5"},
    {"ist.trials", "2"},
    {"ist.suppressed_fraction", "0.75"},
    {"ist.suppression", "0.5"},
    {"ist.reward_scale", "4"},
    {"ist.rows", "8"},
    {"s2ft.o_ratio", "0.1"},
    {"s2ft.d_ratio", "0"},
    {"s2ft.v_ratio", "0.25"},
    {"s2ft.u_ratio", "1"},
    {"s2ft.seed", "11"},
    {"calibration.data", "[c.jsonl]"},
    {"calibration.rows", "16"},
    {"calibration.batch_size", "2"},
    {"lora.modules_to_save", "[lm_head]"},
    {"data.train", "[a.jsonl, sub/b.txt]"},
    {"data.eval", "held.jsonl"},
    {"data.retain", "[keep.jsonl]"},
    {"data.format", "chat"},
    {"data.seq_len", "1024"},
    {"data.packing", "false"},
    {"data.train_on_all", "true"},
    {"data.chat_template", "llama3"},
    {"data.shuffle", "false"},
    {"data.exact_match", "true"},
    {"data.long_documents", "split"},
    {"training.batch_size", "8"},
    {"training.grad_accum", "2"},
    {"training.steps", "300"},
    {"training.epochs", "2.5"},
    {"training.lr", "1e-4"},
    {"training.optimizer", "sgd"},
    {"training.weight_decay", "0.01"},
    {"training.beta1", "0.8"},
    {"training.beta2", "0.95"},
    {"training.eps", "1.0e-6"},
    {"training.momentum", "0.9"},
    {"training.dampening", "0.1"},
    {"training.nesterov", "true"},
    {"training.max_grad_norm", "0"},
    {"training.seed", "1234"},
    {"training.device", "cuda:1"},
    {"training.max_skipped_steps", "3"},
    {"training.forgetting_budget", "0.25"},
    {"forgetting.replay", "0.25"},
    {"forgetting.replay_data", "[old.txt]"},
    {"forgetting.l2sp", "0.01"},
    {"forgetting.ewc", "100"},
    {"forgetting.ewc_rows", "16"},
    {"forgetting.ewc_data", "[fisher.jsonl]"},
    {"forgetting.distill", "0.5"},
    {"forgetting.distill_temperature", "2"},
    {"forgetting.distill_rows", "8"},
    {"forgetting.distill_data", "[keep.jsonl]"},
    {"forgetting.fpf_every", "50"},
    {"forgetting.fpf_steps", "5"},
    {"forgetting.fpf_lr", "1e-4"},
    {"forgetting.fpf_data", "[buffer.jsonl]"},
    {"forgetting.fpf_modules", "[norm, last_layer]"},
    {"schedule.kind", "warmup_stable_decay"},
    {"schedule.warmup_steps", "30"},
    {"schedule.min_lr_ratio", "0.1"},
    {"schedule.decay_steps", "60"},
    {"schedule.decay_shape", "1-sqrt"},
    {"schedule.rewarm_at", "200"},
    {"schedule.rewarm_steps", "4"},
    {"schedule.rewarm_peak_ratio", "0.5"},
    {"schedule.infinite.warmup_end", "0.1"},
    {"schedule.infinite.cooldown_end", "0.2"},
    {"schedule.infinite.constant_end", "0.9"},
    {"schedule.infinite.constant_lr_ratio", "0.25"},
    {"schedule.infinite.cooldown", "inverse_sqrt"},
    {"schedule.infinite.timescale", "5"},
    {"schedule.infinite.task_start", "7"},
};

// The required keys only, on lines 1 to 4.
constexpr std::string_view kRequired = "model: m\noutput: o\ndata:\n  train: t.jsonl\n";

class TrainConfigTest : public ::testing::Test {
 protected:
  // Writes `yaml` to config.yaml in the temporary folder and loads it.
  TrainConfig load(std::string_view yaml, const std::vector<std::string>& overrides = {}) {
    write_file(file_, std::string(yaml));
    return load_train_config(file_, overrides);
  }
  std::string error(std::string_view yaml, const std::vector<std::string>& overrides = {}) {
    return error_of([&] { load(yaml, overrides); });
  }

  TempDir dir_;
  fs::path file_ = dir_ / "config.yaml";
};

TEST_F(TrainConfigTest, KeysAreTheEntriesOfEveryKey) {
  std::vector<std::string> keys;
  for (const auto& entry : kEveryKey) keys.push_back(entry.first);
  EXPECT_EQ(train_config_keys(), keys);
}

TEST_F(TrainConfigTest, EveryKeyRoundTrips) {
  const TrainConfig c = load(nested_yaml(kEveryKey));
  const fs::path d = dir_.path();
  EXPECT_EQ(c.model, d / "models/base");
  EXPECT_EQ(c.tokenizer, fs::path("/abs/tokenizer"));
  EXPECT_EQ(c.output, d / "out");
  EXPECT_EQ(c.adapter, d / "runs/prev/adapter");
  EXPECT_EQ(c.method, TrainMethod::bitfit);
  EXPECT_EQ(c.log_every, 5);
  EXPECT_EQ(c.eval_every, 50);
  EXPECT_EQ(c.save_every, 100);
  EXPECT_EQ(c.save_total_limit, 3);
  EXPECT_EQ(c.threads, 3);
  EXPECT_TRUE(c.force);

  EXPECT_EQ(c.lora.r, 16);
  EXPECT_EQ(c.lora.alpha, 32);
  EXPECT_EQ(c.lora.dropout, 0.05);
  EXPECT_TRUE(c.lora.use_rslora);
  EXPECT_TRUE(c.lora.use_dora);
  EXPECT_EQ(c.lora.target_modules, (std::vector<std::string>{"q_proj", "k_proj"}));
  EXPECT_EQ(c.lora.target_regex, std::nullopt);
  EXPECT_EQ(c.lora.exclude_modules, std::vector<std::string>{"lm_head"});
  EXPECT_EQ(c.lora.layers_to_transform, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(c.lora.rank_pattern,
            (std::map<std::string, int64_t>{{"o_proj", 4}, {"model.layers.1.v_proj", 2}}));
  EXPECT_EQ(c.lora.alpha_pattern, (std::map<std::string, double>{{"o_proj", 2.5}}));
  EXPECT_EQ(c.lora.init, "gaussian");
  EXPECT_EQ(c.lora.init_adapter, d / "runs/poly/adapter");
  EXPECT_EQ(c.lora.corda_mode, "kpm");
  EXPECT_EQ(c.lora.eva_rho, 3);
  EXPECT_EQ(c.lora.eva_tau, 0.9);
  EXPECT_FALSE(c.lora.eva_label_mask);
  EXPECT_FALSE(c.lora.eva_adjust_scaling);
  EXPECT_EQ(c.lora.eva_max_passes, 7);
  EXPECT_EQ(c.lora.loraga_variant, "peft");
  EXPECT_EQ(c.lora.loraga_gamma, 8);
  using Form = adapters::ModuleSelector::Form;
  EXPECT_EQ(c.ia3.target_modules.form, Form::names);
  EXPECT_EQ(c.ia3.target_modules.names, (std::vector<std::string>{"k_proj", "v_proj", "up_proj"}));
  EXPECT_EQ(c.ia3.feedforward_modules.names, std::vector<std::string>{"up_proj"});
  EXPECT_EQ(c.ia3.exclude_modules.form, Form::regex);
  EXPECT_EQ(c.ia3.exclude_modules.regex, ".*\\.0\\..*");
  EXPECT_EQ(c.ia3.modules_to_save, std::vector<std::string>{"norm"});
  EXPECT_EQ(c.ssf.target_modules.names, (std::vector<std::string>{"input_layernorm", "q_proj"}));
  EXPECT_EQ(c.ssf.init_std, 0.05);
  EXPECT_TRUE(c.ssf.unmergeable_shifts);
  EXPECT_EQ(c.poly.config.shape.r, 4);
  EXPECT_EQ(c.poly.config.shape.n_tasks, 2);
  EXPECT_EQ(c.poly.config.shape.n_skills, 3);
  EXPECT_EQ(c.poly.config.shape.n_splits, 2);
  EXPECT_EQ(c.poly.config.target_modules.names, (std::vector<std::string>{"q_proj", "o_proj"}));
  EXPECT_EQ(c.poly.config.exclude_modules.names, std::vector<std::string>{"lm_head"});
  EXPECT_EQ(c.poly.config.modules_to_save, std::vector<std::string>{"norm"});
  EXPECT_EQ(c.poly.tasks, (std::vector<std::string>{"sum", "copy"}));
  EXPECT_EQ(c.poly.train, "router");
  EXPECT_EQ(c.sparse.fraction, 0.05);
  EXPECT_EQ(c.sparse.count, 100);
  EXPECT_EQ(c.sparse.dense_steps, 9);
  EXPECT_EQ(c.sparse.mask, dir_ / "m.safetensors");
  EXPECT_TRUE(c.ist.enabled);
  EXPECT_EQ(c.ist.every, 5);
  EXPECT_EQ(c.ist.active_fraction, 0.5);
  EXPECT_EQ(c.ist.trials, 2);
  EXPECT_EQ(c.ist.suppressed_fraction, 0.75);
  EXPECT_EQ(c.ist.suppression, 0.5);
  EXPECT_EQ(c.ist.reward_scale, 4);
  EXPECT_EQ(c.ist.rows, 8);
  EXPECT_EQ(c.s2ft.o_ratio, 0.1);
  EXPECT_EQ(c.s2ft.d_ratio, 0);
  EXPECT_EQ(c.s2ft.v_ratio, 0.25);
  EXPECT_EQ(c.s2ft.u_ratio, 1);
  EXPECT_EQ(c.s2ft.seed, 11u);
  EXPECT_EQ(c.calibration.data, std::vector<fs::path>{dir_ / "c.jsonl"});
  EXPECT_EQ(c.calibration.rows, 16);
  EXPECT_EQ(c.calibration.batch_size, 2);
  EXPECT_EQ(c.lora.modules_to_save, std::vector<std::string>{"lm_head"});

  EXPECT_EQ(c.data.train, (std::vector<fs::path>{d / "a.jsonl", d / "sub/b.txt"}));
  EXPECT_EQ(c.data.eval, std::vector<fs::path>{d / "held.jsonl"});
  EXPECT_EQ(c.data.retain, std::vector<fs::path>{d / "keep.jsonl"});
  EXPECT_EQ(c.data.format, "chat");
  EXPECT_EQ(c.data.seq_len, 1024);
  EXPECT_FALSE(c.data.packing);
  EXPECT_TRUE(c.data.train_on_all);
  EXPECT_EQ(c.data.chat_template, "llama3");
  EXPECT_FALSE(c.data.shuffle);
  EXPECT_TRUE(c.data.exact_match);
  EXPECT_EQ(c.data.long_documents, "split");

  EXPECT_EQ(c.training.batch_size, 8);
  EXPECT_EQ(c.training.grad_accum, 2);
  EXPECT_EQ(c.training.steps, 300);
  EXPECT_EQ(c.training.epochs, 2.5);
  EXPECT_EQ(c.training.lr, 1e-4);
  EXPECT_EQ(c.training.optimizer.kind, OptimizerKind::sgd);
  EXPECT_EQ(c.training.optimizer.weight_decay, 0.01);
  EXPECT_EQ(c.training.optimizer.beta1, 0.8);
  EXPECT_EQ(c.training.optimizer.beta2, 0.95);
  EXPECT_EQ(c.training.optimizer.eps, 1e-6);
  EXPECT_EQ(c.training.optimizer.momentum, 0.9);
  EXPECT_EQ(c.training.optimizer.dampening, 0.1);
  EXPECT_TRUE(c.training.optimizer.nesterov);
  EXPECT_EQ(c.training.max_grad_norm, 0);
  EXPECT_EQ(c.training.seed, 1234u);
  EXPECT_EQ(c.training.device, Device::cuda(1));
  EXPECT_EQ(c.training.max_skipped_steps, 3);
  EXPECT_EQ(c.training.forgetting_budget, 0.25);
  EXPECT_EQ(c.forgetting.replay, 0.25);
  EXPECT_EQ(c.forgetting.replay_data, std::vector<fs::path>{d / "old.txt"});
  EXPECT_EQ(c.forgetting.l2sp, 0.01);
  EXPECT_EQ(c.forgetting.ewc, 100);
  EXPECT_EQ(c.forgetting.ewc_rows, 16);
  EXPECT_EQ(c.forgetting.ewc_data, std::vector<fs::path>{d / "fisher.jsonl"});
  EXPECT_EQ(c.forgetting.distill, 0.5);
  EXPECT_EQ(c.forgetting.distill_temperature, 2);
  EXPECT_EQ(c.forgetting.distill_rows, 8);
  EXPECT_EQ(c.forgetting.distill_data, std::vector<fs::path>{d / "keep.jsonl"});
  EXPECT_EQ(c.forgetting.fpf_every, 50);
  EXPECT_EQ(c.forgetting.fpf_steps, 5);
  EXPECT_EQ(c.forgetting.fpf_lr, 1e-4);
  EXPECT_EQ(c.forgetting.fpf_data, std::vector<fs::path>{d / "buffer.jsonl"});
  EXPECT_EQ(c.forgetting.fpf_modules, (std::vector<std::string>{"norm", "last_layer"}));

  EXPECT_EQ(c.schedule.kind, LrScheduleKind::warmup_stable_decay);
  EXPECT_EQ(c.schedule.warmup_steps, 30);
  EXPECT_EQ(c.schedule.min_lr_ratio, 0.1);
  EXPECT_EQ(c.schedule.decay_steps, 60);
  EXPECT_EQ(c.schedule.decay_shape, DecayShape::one_minus_sqrt);
  EXPECT_EQ(c.schedule.rewarm_at, 200);
  EXPECT_EQ(c.schedule.rewarm_steps, 4);
  EXPECT_EQ(c.schedule.rewarm_peak_ratio, 0.5);
  EXPECT_EQ(c.schedule.infinite.warmup_end, 0.1);
  EXPECT_EQ(c.schedule.infinite.cooldown_end, 0.2);
  EXPECT_EQ(c.schedule.infinite.constant_end, 0.9);
  EXPECT_EQ(c.schedule.infinite.constant_lr_ratio, 0.25);
  EXPECT_EQ(c.schedule.infinite.cooldown, CooldownShape::inverse_sqrt);
  EXPECT_EQ(c.schedule.infinite.timescale, 5);
  EXPECT_EQ(c.schedule.infinite.task_start, 7);
}

TEST_F(TrainConfigTest, KeysLeftOutKeepTheirDefaults) {
  const TrainConfig c = load(kRequired);
  EXPECT_EQ(c.tokenizer, std::nullopt);
  EXPECT_EQ(c.method, TrainMethod::lora);
  EXPECT_EQ(c.log_every, 1);
  EXPECT_EQ(c.eval_every, 0);
  EXPECT_EQ(c.save_every, 0);
  EXPECT_EQ(c.save_total_limit, 0);
  EXPECT_EQ(c.threads, std::nullopt);
  EXPECT_FALSE(c.force);
  EXPECT_EQ(c.lora.r, 8);
  EXPECT_EQ(c.lora.alpha, 8);
  EXPECT_EQ(c.lora.dropout, 0);
  EXPECT_EQ(c.lora.target_modules, (std::vector<std::string>{"q_proj", "v_proj"}));
  EXPECT_EQ(c.lora.target_regex, std::nullopt);
  EXPECT_TRUE(c.lora.layers_to_transform.empty());
  EXPECT_EQ(c.lora.init, "kaiming");
  EXPECT_EQ(c.ia3.target_modules.form, adapters::ModuleSelector::Form::none);
  EXPECT_EQ(c.ia3.feedforward_modules.form, adapters::ModuleSelector::Form::none);
  EXPECT_TRUE(c.data.eval.empty());
  EXPECT_EQ(c.data.format, "auto");
  EXPECT_EQ(c.data.seq_len, 512);
  EXPECT_TRUE(c.data.packing);
  EXPECT_FALSE(c.data.train_on_all);
  EXPECT_EQ(c.data.chat_template, std::nullopt);
  EXPECT_TRUE(c.data.shuffle);
  EXPECT_EQ(c.training.batch_size, 4);
  EXPECT_EQ(c.training.grad_accum, 1);
  EXPECT_EQ(c.training.steps, 0);
  EXPECT_EQ(c.training.epochs, 1);
  EXPECT_EQ(c.training.lr, 2e-4);
  EXPECT_EQ(c.training.optimizer.kind, OptimizerKind::adamw);
  EXPECT_EQ(c.training.optimizer.beta2, 0.999);
  EXPECT_EQ(c.training.max_grad_norm, 1.0);
  EXPECT_EQ(c.training.seed, 0u);
  EXPECT_EQ(c.schedule.kind, LrScheduleKind::linear);
  EXPECT_EQ(c.schedule.warmup_steps, 0);
  EXPECT_EQ(c.schedule.rewarm_at, std::nullopt);
  EXPECT_EQ(c.schedule.infinite.constant_end, 0.80);
}

TEST_F(TrainConfigTest, SetOverridesApplyInOrderAfterTheFile) {
  const TrainConfig c = load(std::string(kRequired) + "lora:\n  r: 4\nthreads: 2\n",
                             {"lora.r=32", "training.lr=5e-5", "lora.r=64", "data.train=[x, y]",
                              "threads=~", "data.chat_template=chatml", "lora={alpha: 16}",
                              "schedule.infinite.cooldown=linear", "force=true"});
  EXPECT_EQ(c.lora.r, 64);
  EXPECT_EQ(c.lora.alpha, 16);
  EXPECT_EQ(c.training.lr, 5e-5);
  EXPECT_EQ(c.data.train, (std::vector<fs::path>{"x", "y"}));  // relative to the current dir
  EXPECT_EQ(c.threads, std::nullopt);
  EXPECT_EQ(c.data.chat_template, "chatml");
  EXPECT_EQ(c.schedule.infinite.cooldown, CooldownShape::linear);
  EXPECT_TRUE(c.force);
}

// schedule.warmup_steps as HF's (transformers 5): a count, or below 1 a fraction of the steps.
TEST_F(TrainConfigTest, WarmupStepsTakesACountOrAFraction) {
  const TrainConfig fraction = load(std::string(kRequired) + "schedule:\n  warmup_steps: 0.03\n");
  EXPECT_EQ(fraction.schedule.warmup_fraction, 0.03);
  EXPECT_EQ(fraction.schedule.warmup_steps, 0);
  const TrainConfig count = load(std::string(kRequired) + "schedule:\n  warmup_steps: 0.03\n",
                                 {"schedule.warmup_steps=12"});
  EXPECT_EQ(count.schedule.warmup_fraction, 0.0);
  EXPECT_EQ(count.schedule.warmup_steps, 12);
}

TEST_F(TrainConfigTest, TargetModulesTakesAListAllLinearOrARegex) {
  const auto targets = [&](const std::string& value) {
    const LoraSettings lora = load(kRequired, {"lora.target_modules=" + value}).lora;
    return std::make_pair(lora.target_modules, lora.target_regex);
  };
  using Targets = std::pair<std::vector<std::string>, std::optional<std::string>>;
  EXPECT_EQ(targets("[q_proj, o_proj]"), (Targets{{"q_proj", "o_proj"}, std::nullopt}));
  EXPECT_EQ(targets("all-linear"), (Targets{{"all-linear"}, std::nullopt}));
  EXPECT_EQ(targets("ALL-LINEAR"), (Targets{{"all-linear"}, std::nullopt}));
  EXPECT_EQ(targets(R"(.*\.(q|v)_proj)"), (Targets{{}, R"(.*\.(q|v)_proj)"}));
  EXPECT_EQ(targets(R"("[qv]_proj")"), (Targets{{}, "[qv]_proj"}));
  // A later list replaces an earlier regex.
  const LoraSettings lora =
      load(kRequired, {"lora.target_modules=model\\..*", "lora.target_modules=[v_proj]"}).lora;
  EXPECT_EQ(lora.target_modules, std::vector<std::string>{"v_proj"});
  EXPECT_EQ(lora.target_regex, std::nullopt);
  // layers_to_transform takes one integer too, as PEFT does.
  EXPECT_EQ(load(kRequired, {"lora.layers_to_transform=3"}).lora.layers_to_transform,
            std::vector<int64_t>{3});
}

// ia3's selectors: a list, all-linear (target_modules only), a regex, null for PEFT's default;
// an empty feedforward_modules list marks no module feed-forward.
TEST_F(TrainConfigTest, Ia3ModulesTakeAListARegexOrNull) {
  using Form = adapters::ModuleSelector::Form;
  const auto ia3 = [&](const std::string& key, const std::string& value) {
    return load(kRequired, {"method=ia3", "ia3." + key + "=" + value}).ia3;
  };
  EXPECT_EQ(ia3("target_modules", "All-Linear").target_modules.form, Form::all_linear);
  EXPECT_EQ(ia3("target_modules", R"(.*\.k_proj)").target_modules.regex, R"(.*\.k_proj)");
  EXPECT_EQ(ia3("target_modules", "~").target_modules.form, Form::none);
  EXPECT_EQ(ia3("feedforward_modules", "all-linear").feedforward_modules.form, Form::regex);
  const adapters::Ia3Config none = ia3("feedforward_modules", "[]");
  EXPECT_EQ(none.feedforward_modules.form, Form::names);
  EXPECT_TRUE(none.feedforward_modules.names.empty());
  EXPECT_EQ(error(kRequired, {"ia3.target_modules={k: v}"}),
            "--set: ia3.target_modules must be \"all-linear\", a regex or a list of module names, "
            "got a map");
  EXPECT_EQ(load(kRequired, {"method=ia3"}).method, TrainMethod::ia3);
  EXPECT_EQ(method_name(load(kRequired, {"method=ia3"})), "ia3");
}

TEST_F(TrainConfigTest, SsfSettings) {
  using Form = adapters::ModuleSelector::Form;
  const adapters::SsfConfig defaults = load(kRequired, {"method=ssf"}).ssf;
  EXPECT_EQ(defaults.target_modules.form, Form::none);
  EXPECT_EQ(defaults.init_std, 0.02);
  EXPECT_FALSE(defaults.unmergeable_shifts);
  EXPECT_EQ(method_name(load(kRequired, {"method=ssf"})), "ssf");
  EXPECT_EQ(load(kRequired, {"ssf.target_modules=all-linear"}).ssf.target_modules.form,
            Form::all_linear);
  EXPECT_EQ(error(kRequired, {"ssf.init_std=-0.1"}),
            "--set: ssf.init_std must be a number >= 0, got \"-0.1\"");
}

TEST_F(TrainConfigTest, PathsInTheFileAreRelativeToItsFolder) {
  fs::create_directories(dir_ / "configs");
  const fs::path config = dir_ / "configs" / "run.yaml";
  write_file(config,
             "model: ../models/base\ntokenizer: tok\noutput: ./runs/one\n"
             "data:\n  train: /data/train.jsonl\n  eval: [../eval/a.jsonl]\n");
  TrainConfig c = load_train_config(config, {});
  EXPECT_EQ(c.model, dir_ / "models/base");
  EXPECT_EQ(c.tokenizer, dir_ / "configs/tok");
  EXPECT_EQ(c.output, dir_ / "configs/runs/one");
  EXPECT_EQ(c.data.train, std::vector<fs::path>{"/data/train.jsonl"});
  EXPECT_EQ(c.data.eval, std::vector<fs::path>{dir_ / "eval/a.jsonl"});

  c = load_train_config(config, {"model=local/model", "output=/abs/out"});
  EXPECT_EQ(c.model, fs::path("local/model"));
  EXPECT_EQ(c.output, fs::path("/abs/out"));
}

TEST_F(TrainConfigTest, UnknownKeysNameTheNearestKnownOne) {
  const std::string f = file_.string();
  EXPECT_EQ(error(std::string(kRequired) + "training:\n  learning_rate: 1.0e-4\n"),
            f + ":6: unknown key \"training.learning_rate\"; did you mean training.lr?");
  EXPECT_EQ(error(std::string(kRequired) + "lora:\n  lora_alpha: 16\n"),
            f + ":6: unknown key \"lora.lora_alpha\"; did you mean lora.alpha?");
  EXPECT_EQ(error(std::string(kRequired) + "training:\n  warmup_steps: 10\n"),
            f + ":6: unknown key \"training.warmup_steps\"; did you mean schedule.warmup_steps?");
  EXPECT_EQ(error(std::string(kRequired) + "data:\n  seq_length: 64\n"),
            f + ":6: unknown key \"data.seq_length\"; did you mean data.seq_len?");
  EXPECT_EQ(error("shedule:\n  kind: cosine\n" + std::string(kRequired)),
            f + ":1: unknown key \"shedule\"; did you mean schedule?");
  EXPECT_EQ(error(std::string(kRequired) + "frobnicate: 1\n"),
            f + ":5: unknown key \"frobnicate\"");
  // HF's warmup_ratio, deprecated in transformers 5 for a fractional warmup_steps.
  EXPECT_EQ(error(std::string(kRequired) + "warmup_ratio: 0.03\n"),
            f + ":5: unknown key \"warmup_ratio\"; did you mean schedule.warmup_steps?");

  EXPECT_EQ(error(kRequired, {"lora.rank=4"}),
            "--set lora.rank: unknown key; did you mean lora.r?");
  EXPECT_EQ(error(kRequired, {"training.batchsize=4"}),
            "--set training.batchsize: unknown key; did you mean training.batch_size?");
  EXPECT_EQ(error(kRequired, {"lora={rank: 4}"}),
            "--set lora.rank: unknown key; did you mean lora.r?");
}

TEST_F(TrainConfigTest, WrongTypesAndRangesNameTheKeyAndWhatItWants) {
  const std::string f = file_.string();
  const auto at_line_5 = [&](const std::string& yaml) {
    return error(std::string(kRequired) + yaml);
  };
  EXPECT_EQ(at_line_5("training: {batch_size: four}\n"),
            f + ":5: training.batch_size must be an integer in [1, 65536], got \"four\"");
  EXPECT_EQ(at_line_5("training: {batch_size: 0}\n"),
            f + ":5: training.batch_size must be an integer in [1, 65536], got \"0\"");
  EXPECT_EQ(at_line_5("data: {seq_len: 1048577}\n"),
            f + ":5: data.seq_len must be an integer in [2, 1048576], got \"1048577\"");
  EXPECT_EQ(
      at_line_5("data: {seq_len: 99999999999999999999}\n"),
      f + ":5: data.seq_len must be an integer in [2, 1048576], got \"99999999999999999999\"");
  EXPECT_EQ(at_line_5("training: {grad_accum: 2.5}\n"),
            f + ":5: training.grad_accum must be an integer >= 1, got \"2.5\"");
  EXPECT_EQ(at_line_5("training: {steps: -1}\n"),
            f + ":5: training.steps must be an integer >= 0, got \"-1\"");
  for (const char* bad : {"-1", "2.5", "ten"}) {
    EXPECT_EQ(at_line_5(std::string("schedule: {warmup_steps: ") + bad + "}\n"),
              f + ":5: schedule.warmup_steps must be an integer >= 0 or a fraction of the steps " +
                  "in (0, 1), got \"" + bad + "\"");
  }
  EXPECT_EQ(at_line_5("save_total_limit: -2\n"),
            f + ":5: save_total_limit must be an integer >= 0, got \"-2\"");
  EXPECT_EQ(at_line_5("training: {epochs: 0}\n"),
            f + ":5: training.epochs must be a number > 0, got \"0\"");
  EXPECT_EQ(at_line_5("training: {lr: [1]}\n"),
            f + ":5: training.lr must be a number > 0, got a list");
  EXPECT_EQ(at_line_5("training: {beta2: 1}\n"),
            f + ":5: training.beta2 must be a number in [0, 1), got \"1\"");
  EXPECT_EQ(at_line_5("lora: {r: 0}\n"), f + ":5: lora.r must be an integer >= 1, got \"0\"");
  EXPECT_EQ(at_line_5("lora: {alpha: 0}\n"), f + ":5: lora.alpha must be a number > 0, got \"0\"");
  EXPECT_EQ(at_line_5("lora: {dropout: 1}\n"),
            f + ":5: lora.dropout must be a number in [0, 1), got \"1\"");
  EXPECT_EQ(at_line_5("lora: {rank_pattern: {o_proj: 0}}\n"),
            f + ":5: lora.rank_pattern.o_proj must be an integer >= 1, got \"0\"");
  EXPECT_EQ(at_line_5("lora: {target_modules: []}\n"),
            f + ":5: lora.target_modules must be \"all-linear\", a regex or a non-empty list of "
                "module names, got a list");
  EXPECT_EQ(at_line_5("lora: {exclude_modules: lm_head}\n"),
            f + ":5: lora.exclude_modules must be a list of module names, got \"lm_head\"");
  EXPECT_EQ(at_line_5("lora: 16\n"), f + ":5: lora must be a map, got \"16\"");
  EXPECT_EQ(at_line_5("data: {seq_len: 1}\n"),
            f + ":5: data.seq_len must be an integer in [2, 1048576], got \"1\"");
  EXPECT_EQ(at_line_5("data: {packing: maybe}\n"),
            f + ":5: data.packing must be true or false, got \"maybe\"");
  EXPECT_EQ(at_line_5("threads: 0\n"), f + ":5: threads must be an integer >= 1, got \"0\"");
  EXPECT_EQ(at_line_5("log_every: -1\n"), f + ":5: log_every must be an integer >= 0, got \"-1\"");
  EXPECT_EQ(at_line_5("schedule: {min_lr_ratio: 1.5}\n"),
            f + ":5: schedule.min_lr_ratio must be a number in [0, 1], got \"1.5\"");
  EXPECT_EQ(at_line_5("training:\n  lr:\n"), f + ":6: training.lr must be a number > 0, got null");
  EXPECT_EQ(error("model: m\noutput: o\ndata:\n  train:\n    - a.jsonl\n    - [b.jsonl]\n"),
            f + ":6: data.train must be a path, got a list");
  EXPECT_EQ(error(kRequired, {"training.lr=-1"}),
            "--set: training.lr must be a number > 0, got \"-1\"");
}

TEST_F(TrainConfigTest, BadChoicesListTheChoices) {
  const std::string f = file_.string();
  EXPECT_EQ(
      error(std::string(kRequired) + "method: qlora\n"),
      f + ":5: method must be one of lora, ia3, ssf, full, bitfit, norm, lt_sft, s2ft, poly, got "
          "\"qlora\"");
  EXPECT_EQ(error(kRequired, {"schedule.kind=cosine_with_restarts"}),
            "--set: schedule.kind must be one of constant, linear, cosine, warmup_stable_decay, "
            "infinite, got \"cosine_with_restarts\"");
  EXPECT_EQ(error(kRequired, {"data.format=csv"}),
            "--set: data.format must be one of auto, text, prompt_completion, alpaca, chat, got "
            "\"csv\"");
  const std::string inits =
      "one of kaiming, gaussian, pissa, pissa_niter_<k> (k >= 1), olora, eva, corda, lora_ga, "
      "mhr_mu";
  EXPECT_EQ(error(kRequired, {"lora.init=loftq"}),
            "--set: lora.init must be " + inits + ", got \"loftq\"");
  EXPECT_EQ(error(kRequired, {"lora.init=pissa_niter_0"}),
            "--set: lora.init must be " + inits + ", got \"pissa_niter_0\"");
  EXPECT_EQ(error(std::string(kRequired) + "method: sft\n"),
            file_.string() +
                ":5: method must be one of lora, ia3, ssf, full, bitfit, norm, lt_sft, s2ft, "
                "poly, got \"sft\"");
  EXPECT_EQ(error(kRequired, {"s2ft.o_ratio=1.5"}),
            "--set: s2ft.o_ratio must be a number in [0, 1], got \"1.5\"");
  EXPECT_EQ(load(kRequired, {"lora.init=pissa_niter_16"}).lora.init, "pissa_niter_16");
  EXPECT_EQ(error(kRequired, {"lora.corda_mode=both"}),
            "--set: lora.corda_mode must be one of ipm, kpm, got \"both\"");
}

// `retune continual` keeps its settings in the training config's file: its group is skipped here
// and supplies the data.
TEST_F(TrainConfigTest, AnotherCommandsGroupIsLeftToIt) {
  const std::string yaml = "model: m\noutput: o\ncontinual:\n  tasks: [a]\n  anything: 3\n";
  write_file(file_, yaml);
  const TrainConfig c = load_train_config(file_, {}, "continual");
  EXPECT_TRUE(c.data.train.empty());
  EXPECT_EQ(c.model, dir_ / "m");
  EXPECT_EQ(error(yaml), file_.string() + ":3: unknown key \"continual\"");
}

TEST_F(TrainConfigTest, MissingRequiredKeysAreNamed) {
  const std::string f = file_.string();
  EXPECT_EQ(error("output: o\ndata: {train: t.jsonl}\n"), f + ": missing required key \"model\"");
  EXPECT_EQ(error("model: m\ndata: {train: t.jsonl}\n"), f + ": missing required key \"output\"");
  EXPECT_EQ(error("model: m\noutput: o\n"), f + ": missing required key \"data.train\"");
  EXPECT_EQ(error("model: m\noutput: o\ndata: {train: t.jsonl}\n"
                  "training: {forgetting_budget: 0.1}\n"),
            f + ": training.forgetting_budget needs data.retain files to measure forgetting on");
  EXPECT_EQ(error("model: m\noutput: o\ndata: {train: t.jsonl}\nforgetting: {replay: 0.1}\n"),
            f + ": forgetting.replay needs forgetting.replay_data or data.retain files to replay");
  EXPECT_EQ(error("model: m\noutput: o\ndata: {train: t.jsonl}\nforgetting: {ewc: 10}\n"),
            f + ": forgetting.ewc needs forgetting.ewc_data or data.retain files to estimate the "
                "Fisher on");
  EXPECT_EQ(error("model: m\noutput: o\ndata: {train: t.jsonl}\nforgetting: {distill: 1}\n"),
            f + ": forgetting.distill needs forgetting.distill_data or data.retain files to "
                "distill on");
  EXPECT_EQ(error(std::string(kRequired) + "forgetting: {distill_temperature: 0}\n"),
            f + ":5: forgetting.distill_temperature must be a number > 0, got \"0\"");
  EXPECT_EQ(error(std::string(kRequired) + "forgetting: {distill: -1}\n"),
            f + ":5: forgetting.distill must be a number >= 0, got \"-1\"");
  EXPECT_EQ(error(std::string(kRequired) + "forgetting: {distill_rows: 0}\n"),
            f + ":5: forgetting.distill_rows must be an integer >= 1, got \"0\"");
  EXPECT_EQ(error(std::string(kRequired) + "forgetting: {replay: 1}\n"),
            f + ":5: forgetting.replay must be a number in [0, 1), got \"1\"");
  EXPECT_EQ(error(""), f + ": missing required key \"model\"");
  // --set may give them.
  EXPECT_EQ(load("model: m\noutput: o\n", {"data.train=t.jsonl"}).data.train,
            std::vector<fs::path>{"t.jsonl"});
}

TEST_F(TrainConfigTest, MalformedInputIsAnErrorWithItsPlace) {
  const std::string f = file_.string();
  EXPECT_EQ(error("model: m\ndata: [a, b\n"),
            f + ":3:1: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(error("model: m\n  output: o\n"), f + ":2:9: invalid YAML: illegal map value");
  EXPECT_EQ(error("- model\n"), f + ": expected a map of keys, got a list");
  EXPECT_EQ(error(kRequired, {"lora.r"}), "--set \"lora.r\": expected key=value");
  EXPECT_EQ(error(kRequired, {"lora.target_modules=[q_proj"}),
            "--set lora.target_modules: invalid YAML value: end of sequence flow not found");
  const fs::path missing = dir_ / "missing.yaml";
  EXPECT_TRUE(error_of([&] {
                load_train_config(missing, {});
              }).starts_with(missing.string() + ": cannot open"));
}

TEST_F(TrainConfigTest, ExampleConfigsParse) {
  const fs::path examples = fs::path(RETUNE_FIXTURES_DIR) / "../../examples";

  const TrainConfig lora = load_train_config(examples / "lora-chat.yaml", {});
  EXPECT_EQ(lora.method, TrainMethod::lora);
  EXPECT_EQ(lora.lora.r, 16);
  EXPECT_EQ(lora.lora.target_modules, std::vector<std::string>{"all-linear"});
  EXPECT_EQ(lora.data.format, "chat");
  ASSERT_EQ(lora.data.train.size(), 1u);
  EXPECT_TRUE(fs::is_regular_file(lora.data.train[0]));
  EXPECT_TRUE(fs::is_regular_file(lora.model / "config.json"));

  const TrainConfig ia3 = load_train_config(examples / "ia3.yaml", {});
  EXPECT_EQ(ia3.method, TrainMethod::ia3);
  EXPECT_EQ(ia3.ia3.target_modules.form, adapters::ModuleSelector::Form::none);
  EXPECT_TRUE(fs::is_regular_file(ia3.model / "config.json"));

  const TrainConfig full = load_train_config(examples / "full-text.yaml", {});
  EXPECT_EQ(full.method, TrainMethod::full);
  EXPECT_EQ(full.schedule.kind, LrScheduleKind::warmup_stable_decay);
  ASSERT_EQ(full.data.train.size(), 1u);
  EXPECT_TRUE(fs::is_regular_file(full.data.train[0]));
  EXPECT_TRUE(fs::is_regular_file(full.model / "config.json"));
}

}  // namespace
}  // namespace retune::train
