#include "train/training_run.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "adapters/ia3_model.h"
#include "adapters/lora_model.h"
#include "adapters/mhr_mu.h"
#include "adapters/poly_model.h"
#include "adapters/s2ft_model.h"
#include "adapters/ssf_model.h"
#include "core/error.h"
#include "core/stop_request.h"
#include "core/threads.h"
#include "data/batch_stream.h"
#include "data/dataset_file.h"
#include "data/long_documents.h"
#include "data/pad_token.h"
#include "data/tokenized_example.h"
#include "eval/loss_evaluation.h"
#include "io/atomic_file.h"
#include "io/model_folder_writer.h"
#include "model/trainable_weights.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "train/checkpoint.h"
#include "train/forgetting_budget.h"
#include "train/fpf_phase.h"
#include "train/ist_training.h"
#include "train/lora_setup.h"
#include "train/lt_sft_run.h"
#include "train/memory_estimate.h"
#include "train/metrics_log.h"
#include "train/poly_tasks.h"
#include "train/self_distillation.h"
#include "train/sparse_update.h"
#include "train/train_data.h"
#include "train/weight_anchor.h"

namespace retune::train {
namespace {

using nlohmann::json;

// Whether a base weight trains under a method that trains no adapter: bitfit the biases, norm
// the RMSNorm / LayerNorm weights (and LayerNorm biases: "ln_1.bias").
bool method_trains(TrainMethod method, const std::string& name) {
  switch (method) {
    case TrainMethod::full:
      return true;
    case TrainMethod::bitfit:
      return name.ends_with(".bias");
    case TrainMethod::norm:
      return name.find("norm") != std::string::npos || name.find("ln_") != std::string::npos;
    case TrainMethod::lt_sft:
      return sparse_maskable(name);
    case TrainMethod::lora:
    case TrainMethod::s2ft:
    case TrainMethod::ia3:
    case TrainMethod::ssf:
    case TrainMethod::poly:
      return false;
  }
  return false;
}

// The examples of every file, in order.
std::vector<Example> read_all(const std::vector<std::filesystem::path>& files, DataFormat format) {
  std::vector<Example> all;
  for (const std::filesystem::path& file : files) {
    std::vector<Example> examples = read_examples(file, format);
    all.insert(all.end(), std::make_move_iterator(examples.begin()),
               std::make_move_iterator(examples.end()));
  }
  return all;
}

int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

void write_json(const std::filesystem::path& path, const json& value) {
  const std::string text = value.dump(2) + "\n";
  AtomicFile file(path);
  file.write(std::as_bytes(std::span(text)));
  file.commit();
}

}  // namespace

TrainSummary run_training(const TrainConfig& config, bool resume, const RunEvents& events) {
  if (config.method == TrainMethod::lt_sft && !config.sparse.mask) {
    return run_lt_sft(config, resume, events);
  }
  return run_training_phase(config, resume, events);
}

TrainSummary run_training_phase(const TrainConfig& config, bool resume, const RunEvents& events) {
  const auto note = [&](const std::string& line) {
    if (events.note) events.note(line);
  };
  if (config.threads) set_num_threads(*config.threads);
  const Device device = config.training.device;
  activate_device(device);

  // The model, the tokenizer and the data, all read and checked before anything is written.
  std::unique_ptr<model::CausalLm> model = model::load_causal_lm(config.model);
  RETUNE_CHECK(config.data.seq_len <= model::position_limit(model->config()),
               "data.seq_len {} exceeds the {} learned positions of {} (n_positions)",
               config.data.seq_len, model::position_limit(model->config()), config.model.string());
  // A Poly adapter comes first: the examples' tasks are its ids.
  std::unique_ptr<adapters::PolyModel> poly_adapter =
      config.method == TrainMethod::poly ? start_poly(config, *model) : nullptr;
  adapters::PolyModel* const poly = poly_adapter.get();
  const std::filesystem::path tokenizer_folder = config.tokenizer.value_or(config.model);
  Tokenizer tokenizer = Tokenizer::load(tokenizer_folder);
  const DataFormat format = parse_data_format(config.data.format);
  const std::vector<Example> train_examples = read_all(config.data.train, format);
  const std::vector<Example> eval_examples = read_all(config.data.eval, format);
  std::vector<std::vector<Example>> retain_examples;
  bool conversations = has_conversations(train_examples) || has_conversations(eval_examples);
  for (const std::filesystem::path& file : config.data.retain) {
    retain_examples.push_back(read_examples(file, DataFormat::detect));  // any format
    conversations = conversations || has_conversations(retain_examples.back());
  }
  // Replay and Fisher data (any format); each defaults to the retain files.
  const ForgettingSettings& forgetting = config.forgetting;
  const auto files_or_retain = [&](const std::vector<std::filesystem::path>& files) {
    return files.empty() ? config.data.retain : files;
  };
  std::vector<Example> replay_examples;
  if (forgetting.replay > 0) {
    replay_examples = read_all(files_or_retain(forgetting.replay_data), DataFormat::detect);
  }
  std::vector<Example> fisher_examples;
  if (forgetting.ewc > 0) {
    fisher_examples = read_all(files_or_retain(forgetting.ewc_data), DataFormat::detect);
  }
  std::vector<Example> fpf_examples;
  if (forgetting.fpf_every > 0) {
    fpf_examples = read_all(files_or_retain(forgetting.fpf_data), DataFormat::detect);
  }
  std::vector<Example> distill_examples;
  if (forgetting.distill > 0) {
    distill_examples = read_all(files_or_retain(forgetting.distill_data), DataFormat::detect);
  }
  // Calibration data of a computed LoRA start (default: the training data).
  const bool calibrates =
      config.method == TrainMethod::lora && !config.adapter && lora_init_calibrates(config.lora);
  std::vector<Example> calibration_examples;
  if (calibrates && !config.calibration.data.empty()) {
    calibration_examples = read_all(config.calibration.data, DataFormat::detect);
  }
  conversations = conversations || has_conversations(calibration_examples) ||
                  has_conversations(replay_examples) || has_conversations(fisher_examples) ||
                  has_conversations(distill_examples) || has_conversations(fpf_examples);
  TokenizeOptions tokenize{.train_on_all = config.data.train_on_all};
  if (conversations) {
    tokenize.chat = chat_template(tokenizer_folder,
                                  config.data.chat_template
                                      ? std::optional<std::string_view>(*config.data.chat_template)
                                      : std::nullopt);
  }
  std::vector<TokenizedExample> train_tokens =
      tokenize_examples(train_examples, tokenizer, tokenize);
  std::vector<TokenizedExample> eval_tokens = tokenize_examples(eval_examples, tokenizer, tokenize);
  if (poly) {
    set_example_tasks(train_examples, train_tokens, *poly, std::nullopt);
    set_example_tasks(eval_examples, eval_tokens, *poly, std::nullopt);
  }
  const std::vector<TokenizedExample> calibration_tokens =
      calibration_examples.empty() ? std::vector<TokenizedExample>{}
                                   : tokenize_examples(calibration_examples, tokenizer, tokenize);
  if (config.data.long_documents == "split") {
    train_tokens = split_long_examples(std::move(train_tokens), config.data.seq_len);
  }
  std::vector<TokenizedExample> replay_tokens =
      tokenize_examples(replay_examples, tokenizer, tokenize);
  std::vector<TokenizedExample> fisher_tokens =
      tokenize_examples(fisher_examples, tokenizer, tokenize);
  std::vector<TokenizedExample> distill_tokens =
      tokenize_examples(distill_examples, tokenizer, tokenize);
  std::vector<TokenizedExample> fpf_tokens = tokenize_examples(fpf_examples, tokenizer, tokenize);
  std::optional<eval::ExactMatchOptions> exact_match;
  if (config.data.exact_match) {
    exact_match = eval::ExactMatchOptions{
        .stop_ids =
            eval::end_token_ids(model::load_generation_config(config.model), tokenizer,
                                tokenize.chat ? std::optional(tokenize.chat->kind) : std::nullopt)};
  }
  RetainSet retain(config.data.retain, std::move(retain_examples), tokenizer, tokenize,
                   exact_match);
  RETUNE_CHECK(!config.training.forgetting_budget || !retain.empty(),
               "training.forgetting_budget needs data.retain files to measure forgetting on");
  const int64_t seq_len = config.data.seq_len;
  const DataSummary data = summarize(train_tokens, seq_len);
  RETUNE_CHECK(data.target_tokens > 0,
               "the training data has no token to learn from (every example's trained part is "
               "empty or cut off at data.seq_len {})",
               seq_len);
  note(
      fmt::format("data: {} training examples, {} tokens ({} to learn from); {} truncated to {} "
                  "tokens ({} tokens dropped); {} evaluation examples",
                  data.examples, data.tokens, data.target_tokens, data.truncated_examples, seq_len,
                  data.dropped_tokens, eval_tokens.size()));
  const int32_t pad_id = pad_token_id(tokenizer_folder, tokenizer);

  // What trains.
  RETUNE_CHECK(
      !config.adapter || trains_adapter(config.method),
      "adapter {}: only methods lora, ia3, ssf and poly go on training an adapter, not method {}",
      config.adapter->string(), method_name(config));
  std::unique_ptr<adapters::TrainedAdapter> adapter;
  if (config.adapter) {
    const std::string type = adapters::adapter_peft_type(*config.adapter);
    const std::string wanted = config.method == TrainMethod::ia3    ? "IA3"
                               : config.method == TrainMethod::ssf  ? "SSF"
                               : config.method == TrainMethod::poly ? "POLY"
                                                                    : "LORA";
    RETUNE_CHECK(type == wanted,
                 "adapter {}: a peft_type \"{}\" adapter, which method {} does not train",
                 config.adapter->string(), type, method_name(config));
    adapter = poly ? std::move(poly_adapter) : adapters::load_adapter(*model, *config.adapter);
  } else if (poly) {
    note(fmt::format("poly: {} modules, {} skills, {} splits, {} tasks", poly->modules().size(),
                     poly->config().shape.n_skills, poly->config().shape.n_splits,
                     poly->n_tasks()));
    adapter = std::move(poly_adapter);
  } else if (config.method == TrainMethod::lora && config.lora.init == "mhr_mu") {
    auto lora = std::make_unique<adapters::LoraModel>(adapters::attach_mhr_mu(
        *model, *config.lora.init_adapter, lora_config(config.lora), config.training.seed));
    note(fmt::format("lora init mhr_mu: {} modules, rank {}, the skills of {} averaged",
                     lora->modules().size(), lora->config().r, config.lora.init_adapter->string()));
    adapter = std::move(lora);
  } else if (config.method == TrainMethod::lora) {
    adapters::LoraStartReport started;
    adapter = std::make_unique<adapters::LoraModel>(adapters::attach_started_lora(
        *model, lora_config(config.lora),
        lora_start_options(
            config, calibrates && calibration_tokens.empty() ? train_tokens : calibration_tokens,
            pad_id),
        config.training.seed, &started));
    if (config.lora.init != "kaiming" && config.lora.init != "gaussian") {
      note(fmt::format("lora init {}: {} modules, rank {} in all{}", config.lora.init,
                       started.modules, started.rank_sum,
                       started.calibration_batches > 0
                           ? fmt::format(", {} calibration passes", started.calibration_batches)
                           : ""));
    }
  } else if (config.method == TrainMethod::ia3) {
    auto ia3 = std::make_unique<adapters::Ia3Model>(adapters::attach_ia3(*model, config.ia3));
    const auto& modules = ia3->modules();
    note(fmt::format("ia3: {} modules, {} of them feed-forward (input-scaled)", modules.size(),
                     std::count_if(modules.begin(), modules.end(),
                                   [](const auto& module) { return module.ia3->feedforward(); })));
    adapter = std::move(ia3);
  } else if (config.method == TrainMethod::ssf) {
    auto ssf = std::make_unique<adapters::SsfModel>(
        adapters::attach_ssf(*model, config.ssf, config.training.seed));
    const auto& modules = ssf->modules();
    note(fmt::format("ssf: {} modules ({} of them norms), {} without a shift (it could not merge)",
                     modules.size(), ssf->norm_count(),
                     std::count_if(modules.begin(), modules.end(),
                                   [](const auto& m) { return !m.pair->shift.defined(); })));
    adapter = std::move(ssf);
  }
  // S2FT permutes the model's heads and channels and trains blocks on their slices.
  std::optional<adapters::S2ftModel> s2ft;
  if (config.method == TrainMethod::s2ft) {
    s2ft = adapters::S2ftModel::attach(*model, {.o_ratio = config.s2ft.o_ratio,
                                                .d_ratio = config.s2ft.d_ratio,
                                                .v_ratio = config.s2ft.v_ratio,
                                                .u_ratio = config.s2ft.u_ratio,
                                                .seed = config.s2ft.seed});
    note("s2ft: " + s2ft->describe());
  }
  // A sparse mask: only the weights it names train (the others would stay at their values
  // whole), and of them only its entries (MaskedUpdate, below).
  std::optional<std::map<std::string, Tensor>> mask;
  if (config.sparse.mask) {
    RETUNE_CHECK(config.method == TrainMethod::full || config.method == TrainMethod::lt_sft,
                 "sparse.mask: only methods full and lt_sft train on a mask, not method {}",
                 method_name(config));
    mask = read_mask(*config.sparse.mask);
  }
  const auto trains = [&](const std::string& name) {
    if (mask) return method_trains(config.method, name) && mask->contains(name);
    return method_trains(config.method, name) ||
           (adapter && std::find(adapter->saved_weights().begin(), adapter->saved_weights().end(),
                                 name) != adapter->saved_weights().end());
  };
  if (!device.is_cpu()) {
    // The adapter's starting values were made on the CPU; the steps run on the device.
    model::move_weights(*model, device);
    if (adapter) adapter->move_to(*model, device);
    if (s2ft) s2ft->move_to(device);
    note(fmt::format("training on {}", device_name(device)));
  }
  const model::TrainingSetup setup = model::make_training_step(*model, trains);
  std::vector<Parameter> parameters;
  for (const model::TrainedWeight& weight : setup.weights) {
    parameters.push_back({weight.name, weight.value, weight.grad, hf_decays(weight.name)});
  }
  int64_t adapter_parameters = 0;
  if (adapter) {
    for (const adapters::AdapterParameter& p : adapter->parameters()) {
      parameters.push_back({p.name, p.value, p.grad, true});
      adapter_parameters += p.value.numel();
    }
  }
  if (s2ft) {
    // The blocks are slices of base weights: they add nothing to the total.
    for (const adapters::AdapterParameter& p : s2ft->parameters()) {
      parameters.push_back({p.name, p.value, p.grad, true});
    }
  }
  RETUNE_CHECK(!parameters.empty(), "method {} trains nothing in {} (it has no such weights)",
               method_name(config), config.model.string());
  TrainSummary summary{.truncated_examples = data.truncated_examples};
  for (const Parameter& p : parameters) summary.trainable_parameters += p.value.numel();
  int64_t frozen_weight_bytes = 0;
  for (const auto& [name, weight] : model::named_weights(*model)) {
    summary.total_parameters += weight.numel();
    if (!trains(name)) {
      frozen_weight_bytes += static_cast<int64_t>(weight.nbytes());
    }
  }
  summary.total_parameters += adapter_parameters;
  note(fmt::format("method {}: {} trainable parameters of {} ({:.2f}%)", method_name(config),
                   summary.trainable_parameters, summary.total_parameters,
                   100.0 * static_cast<double>(summary.trainable_parameters) /
                       static_cast<double>(summary.total_parameters)));
  OptimizerOptions optimizer_options = config.training.optimizer;
  const MemoryEstimate memory =
      estimate_training_memory(model->config(), frozen_weight_bytes, summary.trainable_parameters,
                               optimizer_options, config.training.batch_size, seq_len);
  // The estimate is of host memory; on a GPU the allocator reports its own shortage.
  if (device.is_cpu()) note(check_memory(memory, available_memory_bytes(), config.force));
  Optimizer optimizer(parameters, optimizer_options);

  // A sparse mask keeps every trained tensor at its value now but for the mask's entries.
  std::optional<MaskedUpdate> masked;
  if (mask) {
    masked.emplace(*mask, setup.weights);
    summary.trainable_parameters = masked->entries();
    note(fmt::format("sparse: {} entries of {} trained tensors may change", masked->entries(),
                     setup.weights.size()));
  }
  // L2-SP and EWC anchor the trained tensors at their values now, before a checkpoint's, with
  // EWC's Fisher estimated here too (at θ0, also on resume).
  std::optional<WeightAnchor> anchor;
  if (forgetting.l2sp > 0 || forgetting.ewc > 0) {
    anchor.emplace(parameters, forgetting.l2sp, forgetting.ewc);
  }
  if (forgetting.ewc > 0) {
    BatchStream rows(std::move(fisher_tokens),
                     {.batch_size = 1,
                      .sequences = {.length = seq_len, .packing = false, .pad_id = pad_id},
                      .shuffle = false});
    // The Fisher's backward passes draw the adapter's random masks (LoRA dropout): training
    // then draws the ones it would have drawn without EWC.
    const json adapter_state = adapter ? adapter->checkpoint_state() : json::object();
    anchor->set_fisher(diagonal_fisher(*model, *setup.step, parameters, rows, forgetting.ewc_rows,
                                       config.training.seed));
    if (adapter) adapter->restore_checkpoint_state(adapter_state);
    note(fmt::format("ewc: diagonal Fisher estimated on {} rows", forgetting.ewc_rows));
  }
  // Self-distillation keeps the base's outputs on retain rows, computed here (also on resume).
  std::optional<SelfDistillation> distillation;
  if (forgetting.distill > 0) {
    BatchStream rows(std::move(distill_tokens),
                     {.batch_size = 1,
                      .sequences = {.length = seq_len, .packing = false, .pad_id = pad_id},
                      .shuffle = false});
    const Tensor& head = model->output_head();
    const bool head_trains =
        std::any_of(parameters.begin(), parameters.end(),
                    [&](const Parameter& p) { return p.value.overlaps(head); });
    distillation.emplace(*model, rows,
                         DistillationOptions{.weight = forgetting.distill,
                                             .temperature = forgetting.distill_temperature,
                                             .rows = forgetting.distill_rows,
                                             .batch_size = config.training.batch_size,
                                             .head_trains = head_trains});
    note(fmt::format("distill: the base's outputs kept for {} rows{}", distillation->rows(),
                     head_trains ? " (and a copy of its output head)" : ""));
  }

  // Where to start: the latest checkpoint when resuming.
  std::optional<Checkpoint> checkpoint;
  std::optional<std::filesystem::path> last_checkpoint;  // the newest on disk, as the run goes
  if (resume) {
    if (const auto latest = latest_checkpoint(config.output)) {
      checkpoint = read_checkpoint(*latest);
      last_checkpoint = latest;
      note(fmt::format("resuming from {} (step {})", latest->string(), checkpoint->step));
    } else {
      note(fmt::format("no checkpoint in {}: starting from the beginning", config.output.string()));
    }
  }
  const BatchOptions batch_options{
      .batch_size = config.training.batch_size,
      .sequences = {.length = seq_len, .packing = config.data.packing, .pad_id = pad_id},
      .shuffle = config.data.shuffle,
      .seed = config.training.seed};
  std::optional<FpfPhase> fpf;
  if (forgetting.fpf_every > 0) {
    RETUNE_CHECK(!fpf_tokens.empty(), "forgetting.fpf_every: the FPF files have no examples");
    const json fpf_state =
        checkpoint ? checkpoint->run.value("fpf_position", json::object()) : json::object();
    const DataPosition fpf_start = fpf_state.empty()
                                       ? DataPosition{}
                                       : DataPosition{fpf_state.at("epoch").get<int64_t>(),
                                                      fpf_state.at("next_row").get<int64_t>()};
    BatchOptions fpf_rows = batch_options;
    fpf_rows.seed = config.training.seed + 2;
    fpf.emplace(parameters, model->config().num_hidden_layers,
                BatchStream(std::move(fpf_tokens), fpf_rows, fpf_start),
                FpfOptions{.every = forgetting.fpf_every,
                           .steps = forgetting.fpf_steps,
                           .lr = forgetting.fpf_lr.value_or(config.training.lr),
                           .max_grad_norm = config.training.max_grad_norm,
                           .optimizer = optimizer_options,
                           .modules = forgetting.fpf_modules});
    note(fmt::format("fpf: every {} steps, {} micro-batches fine-tune {} of the {} trained tensors",
                     forgetting.fpf_every, forgetting.fpf_steps, fpf->chosen().size(),
                     parameters.size()));
  }
  std::optional<IstTraining> ist;
  if (config.ist.enabled) {
    RETUNE_CHECK(adapter,
                 "ist.enabled: IST chooses the layers of an adapter, and method {} has none",
                 method_name(config));
    const auto* lora = dynamic_cast<const adapters::LoraModel*>(adapter.get());
    RETUNE_CHECK(lora, "ist.enabled: IST suppresses layers of a LoRA adapter, not of method {}'s",
                 method_name(config));
    ist.emplace(config.ist, config.training.seed, *model, *lora, parameters, train_tokens, seq_len,
                config.training.batch_size, pad_id);
    note(fmt::format("ist: {:.0f}% of the layers train each step, importance every {} steps",
                     100 * config.ist.active_fraction, config.ist.every));
  }
  TrainData train_data(std::move(train_tokens), std::move(replay_tokens), batch_options,
                       forgetting.replay, checkpoint ? checkpoint->data : DataPosition{},
                       checkpoint ? checkpoint->run : json::object());
  if (checkpoint) {
    std::map<std::string, Tensor> saved(checkpoint->trainable.begin(), checkpoint->trainable.end());
    for (const Parameter& p : parameters) {
      const auto found = saved.find(p.name);
      RETUNE_CHECK(found != saved.end() && found->second.shape() == p.value.shape(),
                   "the checkpoint has no tensor {} of shape {}: it was made by another config",
                   p.name, p.value.shape().str());
      p.value.copy_from(found->second);
    }
    RETUNE_CHECK(saved.size() == parameters.size(),
                 "the checkpoint has {} trained tensors, this config trains {}: it was made by "
                 "another config",
                 saved.size(), parameters.size());
    optimizer.import_state(checkpoint->optimizer);
    if (!retain.empty()) {
      RETUNE_CHECK(checkpoint->run.contains("retain_base"),
                   "the checkpoint has no base results for data.retain: it was made by another "
                   "config");
      retain.set_base_state(checkpoint->run.at("retain_base"));
    }
    if (distillation) {
      RETUNE_CHECK(checkpoint->run.contains("distill_position"),
                   "the checkpoint has no distillation position: it was made by another config");
      distillation->set_cursor(checkpoint->run.at("distill_position").get<int64_t>());
    }
    if (ist) {
      RETUNE_CHECK(checkpoint->run.contains("ist_scores"),
                   "the checkpoint has no IST scores: it was made by another config");
      ist->set_scores(checkpoint->run.at("ist_scores").get<std::vector<double>>());
    }
    if (adapter) adapter->restore_checkpoint_state(checkpoint->run);
  }

  TrainerOptions options{
      .steps = config.training.steps,
      .grad_accum = config.training.grad_accum,
      .max_grad_norm = config.training.max_grad_norm,
      .schedule = config.schedule,
      .max_skipped_steps = config.training.max_skipped_steps,
      .skipped_before = checkpoint ? checkpoint->run.value("skipped_steps", int64_t{0}) : 0,
      .device = device};
  if (options.steps == 0) {
    const double rows = config.training.epochs * static_cast<double>(train_data.rows_in_epoch());
    const double per_step =
        train_data.train_rows_per_batch() * static_cast<double>(options.grad_accum);
    options.steps = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(rows / per_step)));
  }
  options.schedule.peak_lr = config.training.lr;
  options.schedule.total_steps = options.steps;
  if (anchor) options.add_penalty = [&] { return anchor->add_gradients(parameters); };
  if (distillation) {
    options.add_distillation = [&] { return distillation->add_gradients(*setup.step); };
  }
  if (ist) options.before_step = [&](int64_t step) { ist->before_step(step, optimizer); };
  options.before_batch = batch_router(poly);
  if (masked) options.mask_gradients = [&] { masked->mask_gradients(); };
  Trainer trainer(*setup.step, optimizer, train_data.source(), options);

  // The run: evaluations, metrics, checkpoints.
  std::filesystem::create_directories(config.output);
  MetricsLog metrics(config.output / "metrics.jsonl",
                     checkpoint ? std::optional(checkpoint->step) : std::nullopt);
  // Evaluates the eval and retain files; returns the eval loss (none without eval files).
  const auto evaluate = [&](int64_t step) -> std::optional<double> {
    if (eval_tokens.empty() && retain.empty()) return std::nullopt;
    json line = {{"step", step}};
    std::optional<double> eval_loss;
    if (!eval_tokens.empty()) {
      const eval::LossEvaluation result = eval::evaluate_loss(
          *model, eval_tokens, seq_len, config.training.batch_size, pad_id, batch_router(poly));
      line["eval_loss"] = result.loss;
      line["eval_perplexity"] = result.perplexity();
      line["eval_tokens"] = result.tokens;
      note(fmt::format("step {}: eval loss {:.4f} (perplexity {:.2f}, {} tokens)", step,
                       result.loss, result.perplexity(), result.tokens));
      eval_loss = result.loss;
      if (exact_match) {
        const eval::ExactMatch match =
            eval::exact_match(*model, tokenizer, eval_examples, *exact_match);
        if (match.scored > 0) {
          line["eval_accuracy"] = match.accuracy();
          note(fmt::format("step {}: eval exact match {:.4f} ({} of {})", step, match.accuracy(),
                           match.correct, match.scored));
        }
      }
    }
    if (!retain.empty()) {
      line["retain"] = retain.evaluate(*model, seq_len, config.training.batch_size, pad_id);
      for (const RetainResult& r : retain.results()) {
        note(fmt::format("step {}: retain {} loss {:.4f} (base {:.4f}, forgetting {:+.4f}){}", step,
                         r.file.string(), r.last_loss, r.base_loss, r.forgetting(),
                         r.last_accuracy ? fmt::format(", exact match {:.4f} (base {:.4f})",
                                                       *r.last_accuracy, *r.base_accuracy)
                                         : ""));
      }
    }
    metrics.write(line);
    return eval_loss;
  };
  const auto save = [&](int64_t step) {
    Checkpoint state{.step = step, .data = train_data.position()};
    train_data.save_state(state.run);
    for (const Parameter& p : parameters) state.trainable.emplace_back(p.name, p.value);
    state.optimizer = optimizer.export_state();
    if (adapter) state.run.update(adapter->checkpoint_state());
    if (distillation) state.run["distill_position"] = distillation->cursor();
    if (ist) state.run["ist_scores"] = ist->scores();
    if (fpf) {
      state.run["fpf_position"] = {{"epoch", fpf->position().epoch},
                                   {"next_row", fpf->position().next_row}};
    }
    if (!retain.empty()) state.run["retain_base"] = retain.base_state();
    state.run["skipped_steps"] = trainer.skipped_steps();
    last_checkpoint = write_checkpoint(config.output, state);
    note(fmt::format("step {}: checkpoint {}", step, last_checkpoint->string()));
    if (config.save_total_limit > 0) remove_old_checkpoints(config.output, config.save_total_limit);
  };
  const int64_t first_step = checkpoint ? checkpoint->step : 0;
  ForgettingBudget budget(config.training.forgetting_budget);
  // With a budget, a resumed run evaluates where it starts: the best within the budget so far.
  bool go_on = true;
  if (first_step == 0 || budget.active()) {
    const std::optional<double> loss = evaluate(first_step);
    if (first_step == 0) summary.first_eval_loss = loss;
    go_on = budget.within(first_step, retain, loss, parameters);
  }
  summary.last_eval_loss = summary.first_eval_loss;
  int64_t last_step = first_step;
  int64_t tokens = 0;
  const auto start = std::chrono::steady_clock::now();
  try {
    if (go_on)
      trainer.run(first_step, [&](const StepReport& report) {
        last_step = report.step;
        tokens += report.tokens;
        if (events.step) events.step(report, options.steps);
        std::optional<double> fpf_loss;
        if (fpf && fpf->due(report.step)) fpf_loss = fpf->run(*setup.step);
        // After every update of the step (an FPF phase's too): back on the mask.
        if (masked) masked->project();
        if (report.step % std::max<int64_t>(config.log_every, 1) == 0 ||
            report.step == options.steps) {
          json line = {{"step", report.step},
                       {"loss", report.loss},
                       {"lr", report.lr},
                       {"grad_norm", report.grad_norm},
                       {"tokens_per_second", static_cast<double>(report.tokens) / report.seconds},
                       {"epoch", train_data.position().epoch},
                       {"skipped", report.skipped}};
          if (anchor) line["penalty"] = report.penalty;
          if (distillation) line["distill"] = report.distill;
          if (fpf_loss) line["fpf_loss"] = *fpf_loss;
          metrics.write(line);
        }
        if (config.eval_every > 0 && report.step % config.eval_every == 0 &&
            report.step != options.steps) {
          summary.last_eval_loss = evaluate(report.step);
          go_on = budget.within(report.step, retain, summary.last_eval_loss, parameters);
        }
        const bool saved_now = config.save_every > 0 && report.step % config.save_every == 0 &&
                               report.step != options.steps;
        if (saved_now) save(report.step);
        // SIGINT / SIGTERM (core/stop_request.h): a checkpoint of this step, and no output, which
        // would present the unfinished run as done. The last step finishes as usual.
        if (const int signal = stop_signal(); signal != 0 && report.step != options.steps) {
          if (!saved_now) save(report.step);
          fail(
              "training stopped by {} after step {} of {}: its checkpoint is in {}; --resume goes "
              "on",
              stop_signal_name(signal), report.step, options.steps, config.output.string());
        }
        return go_on;
      });
  } catch (const NonFiniteStop& stop) {
    // A skipped step changes no weight: the last checkpoint is as good as any after it.
    fail("{}; {}", stop.what(),
         last_checkpoint ? fmt::format("the last checkpoint, {}, is kept (--resume goes on)",
                                       last_checkpoint->string())
                         : std::string("no checkpoint had been written"));
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.tokens_per_second =
      summary.seconds > 0 ? static_cast<double>(tokens) / summary.seconds : 0;
  summary.steps = last_step;
  summary.skipped_steps = trainer.skipped_steps();
  if (go_on && (last_step > first_step || !checkpoint)) {
    summary.last_eval_loss = evaluate(last_step);
    go_on = budget.within(last_step, retain, summary.last_eval_loss, parameters);
    save(last_step);
  }
  std::vector<RetainResult> retained = retain.results();
  if (!go_on && budget.best_step()) {
    // Past the budget: the output is the best evaluation's weights within it (restored where
    // they trained: `parameters` are the device's tensors).
    budget.restore(parameters);
    summary.last_eval_loss = budget.best_eval_loss();
    retained = budget.best_retain();
  }
  if (!device.is_cpu()) {
    // The outputs are made on the CPU, as after training there.
    model::move_weights(*model, Device::cpu());
    if (adapter) adapter->move_to(*model, Device::cpu());
    if (s2ft) s2ft->move_to(Device::cpu());
  }
  if (budget.exceeded_at()) {
    const RetainResult& worst = retain.most_forgotten();
    note(
        fmt::format("step {}: retain {} forgot {:.4f} (loss {:.4f}, base {:.4f}), past "
                    "training.forgetting_budget {}: stopped; the output is {}",
                    *budget.exceeded_at(), worst.file.string(), worst.forgetting(), worst.last_loss,
                    worst.base_loss, *config.training.forgetting_budget,
                    budget.best_step() ? fmt::format("step {}'s", *budget.best_step())
                                       : std::string("the checkpoint's it resumed from")));
    summary.budget_exceeded_at = budget.exceeded_at();
    summary.output_step = budget.best_step().value_or(first_step);
  }

  // The output: the adapter, or the model in the base's dtypes.
  if (adapter) {
    summary.output = config.output / "adapter";
    adapter->save(*model, summary.output, config.model.string());
  } else {
    // S2FT's blocks: a sparse difference against the base, then fused into the model.
    if (s2ft) {
      adapters::save_sparse_diff(s2ft->difference(), method_name(config), config.model.string(),
                                 config.output / "s2ft");
      s2ft->fuse(*model);
    }
    summary.output = config.output / "model";
    write_model_folder(config.model, in_base_dtypes(config.model, model::named_weights(*model)),
                       summary.output);
  }
  if (masked) {
    summary.output = config.output / "sparse_diff";
    adapters::save_sparse_diff(masked->difference(), method_name(config), config.model.string(),
                               summary.output);
  }
  summary.peak_rss_bytes = peak_rss_bytes();
  summary.peak_device_bytes = static_cast<int64_t>(device_peak_bytes(device));
  json summary_json = {
      {"steps", summary.steps},
      {"method", method_name(config)},
      {"lora_init", config.method == TrainMethod::lora && !config.adapter ? json(config.lora.init)
                                                                          : json(nullptr)},
      {"trainable_parameters", summary.trainable_parameters},
      {"total_parameters", summary.total_parameters},
      {"seconds", summary.seconds},
      {"tokens_per_second", summary.tokens_per_second},
      {"peak_rss_bytes", summary.peak_rss_bytes},
      {"device", device_name(device)},
      {"peak_device_bytes", summary.peak_device_bytes},
      {"truncated_examples", summary.truncated_examples},
      {"skipped_steps", summary.skipped_steps},
      {"output", summary.output.string()}};
  if (forgetting.replay > 0 || anchor || distillation || fpf) {
    summary_json["forgetting_control"] = {{"replay", forgetting.replay},
                                          {"l2sp", forgetting.l2sp},
                                          {"ewc", forgetting.ewc},
                                          {"distill", forgetting.distill},
                                          {"distill_temperature", forgetting.distill_temperature},
                                          {"fpf_every", forgetting.fpf_every}};
  }
  if (ist) summary_json["ist_scores"] = ist->scores();
  if (summary.first_eval_loss) summary_json["first_eval_loss"] = *summary.first_eval_loss;
  if (summary.last_eval_loss) summary_json["last_eval_loss"] = *summary.last_eval_loss;
  summary.retain = retained;
  if (config.training.forgetting_budget) {
    summary_json["forgetting_budget"] = {
        {"budget", *config.training.forgetting_budget},
        {"exceeded_at_step",
         summary.budget_exceeded_at ? json(*summary.budget_exceeded_at) : json(nullptr)},
        {"output_step", summary.output_step.value_or(summary.steps)}};
  }
  if (!summary.retain.empty()) {
    summary_json["retain"] = json::array();
    for (const RetainResult& r : summary.retain) {
      json entry = {{"file", r.file.string()},
                    {"base_loss", r.base_loss},
                    {"last_loss", r.last_loss},
                    {"forgetting", r.forgetting()}};
      if (r.last_accuracy) {
        entry["base_accuracy"] = *r.base_accuracy;
        entry["last_accuracy"] = *r.last_accuracy;
      }
      summary_json["retain"].push_back(entry);
    }
  }
  write_json(config.output / "summary.json", summary_json);
  return summary;
}

}  // namespace retune::train
