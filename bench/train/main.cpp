// retune_train_bench: the training step of BENCHMARKS.md on a random model of the SmolLM2-135M
// shape (or --shape qwen2.5-0.5b) — LoRA r16 alpha 32 on q,k,v,o,gate,up,down (DoRA with --dora;
// or --full, or --norm: the RMSNorm weights, BitFit's counterpart for a model without biases),
// AdamW on what trains, a batch of B x T random tokens every token scored — timed step by step
// (forward, backward and the optimizer step), as ../shared/peers/torch_lora_cpu.py times
// PyTorch's, on the CPU or (--device cuda) a GPU, as ../shared/peers/peft_gpu.py times PEFT's:
// there the frozen weights are bf16 and the JSON adds the peak GPU memory and the MFU by
// peft_gpu.py's FLOP count ((4 or 6) N + 12 L C T per token) over the H100's 989 TFLOP/s.
//   retune_train_bench [--threads N] [--batch 4] [--seq 256] [--steps 4] [--full | --dora | --norm]
//                      [--device cpu|cuda[:N]] [--shape smollm2-135m|qwen2.5-0.5b]
// Prints a readable line and one JSON object: tokens/s (median of the timed steps after one
// warm-up step), the achieved GFLOP/s counting 4N FLOPs per token for LoRA and 6N for full
// fine-tuning (N = the base parameters, BENCHMARKS.md's convention), that as a fraction of the
// sgemm 1024^3 rate measured in the same run, and the peak RSS; and a profile (core/profile.h):
// seconds per step in each phase, split into matmul, attention, the output head and the rest, of
// the timed steps on the CPU and of three more steps, synchronised at every scope, on a GPU.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapters/lora_model.h"
#include "bench_common.h"
#include "core/heap_reuse.h"
#include "core/profile.h"
#include "core/rng.h"
#include "core/threads.h"
#include "inference/random_llama.h"
#include "model/causal_lm.h"
#include "model/trainable_weights.h"
#include "train/optimizer.h"

namespace retune::bench {
namespace {

struct Options {
  std::optional<int> threads;
  int64_t batch = 4;
  int64_t seq = 256;
  int64_t steps = 4;
  bool full = false;
  bool dora = false;
  bool norm = false;
  bool f32_activations = false;  // on a GPU too (to compare with the default bf16 ones)
  std::string device = "cpu";
  std::string shape = "smollm2-135m";
  std::string method() const {
    return full ? "full" : dora ? "dora_r16_all_linear" : norm ? "norm" : "lora_r16_all_linear";
  }
};

// B x T random ids, labels the next id (the last position unscored).
model::TokenBatch random_batch(int64_t batch, int64_t seq, int64_t vocab) {
  Rng rng(1);
  std::vector<int32_t> ids(static_cast<size_t>(batch * seq));
  for (int32_t& id : ids) id = static_cast<int32_t>(rng.integer(0, vocab - 1));
  std::vector<int32_t> labels(ids.size(), -100);
  for (int64_t i = 0; i + 1 < static_cast<int64_t>(ids.size()); ++i) {
    if ((i + 1) % seq != 0) labels[static_cast<size_t>(i)] = ids[static_cast<size_t>(i + 1)];
  }
  return {Tensor::from_vector<int32_t>({batch, seq}, DType::i32, ids),
          Tensor::from_vector<int32_t>({batch, seq}, DType::i32, labels), Tensor(), Tensor()};
}

// Seconds per step by phase, each split into its op kinds and the rest, printed as a table.
// The kStagesShown stages that took longest, per step, longest first: label, seconds, calls
// (also printed, one line each).
nlohmann::json stage_table(const char* kind,
                           const std::map<std::string, profile::StageTotal>& stages,
                           int64_t steps) {
  constexpr size_t kStagesShown = 40;
  std::vector<std::pair<std::string, profile::StageTotal>> rows(stages.begin(), stages.end());
  std::ranges::sort(
      rows, [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
  rows.resize(std::min(rows.size(), kStagesShown));
  nlohmann::json table = nlohmann::json::array();
  const auto per_step = static_cast<double>(steps);
  for (const auto& [label, total] : rows) {
    const double seconds = total.seconds / per_step;
    const double calls = static_cast<double>(total.calls) / per_step;
    fmt::print("{} {:9.3f} ms/step {:6.0f} calls  {}\n", kind, 1e3 * seconds, calls, label);
    table.push_back({{"stage", label}, {"seconds", seconds}, {"calls", calls}});
  }
  return table;
}

nlohmann::json phase_table(const char* title, const profile::Totals& totals, int64_t steps) {
  using profile::Op;
  using profile::Phase;
  const auto per_step = [&](double seconds) { return seconds / static_cast<double>(steps); };
  nlohmann::json table = nlohmann::json::object();
  fmt::print("{}\n{:<12} {:>8} {:>8} {:>10} {:>12} {:>8}\n", title, "phase (s)", "total", "matmul",
             "attention", "output_head", "other");
  for (const Phase phase :
       {Phase::forward, Phase::output_head, Phase::backward, Phase::optimizer, Phase::unphased}) {
    const auto p = static_cast<size_t>(phase);
    if (totals.phase[p] == 0) continue;
    nlohmann::json row = {{"total", per_step(totals.phase[p])},
                          {"other", per_step(totals.other(phase))}};
    for (const Op op : {Op::matmul, Op::attention, Op::output_head}) {
      row[std::string(profile::op_name(op))] = per_step(totals.op[p][static_cast<size_t>(op)]);
    }
    fmt::print("{:<12} {:>8.3f} {:>8.3f} {:>10.3f} {:>12.3f} {:>8.3f}\n",
               profile::phase_name(phase), row["total"].get<double>(), row["matmul"].get<double>(),
               row["attention"].get<double>(), row["output_head"].get<double>(),
               row["other"].get<double>());
    table[std::string(profile::phase_name(phase))] = row;
  }
  return table;
}

int run(const Options& options) {
  if (options.threads) set_num_threads(*options.threads);
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / fmt::format("retune-train-bench-{}", ::getpid());
  std::filesystem::create_directories(folder);
  const Device device = parse_device(options.device);
  activate_device(device);
  const DecoderShape& shape =
      options.shape == kQwen25Decoder.name ? kQwen25Decoder : kSmolLM2Decoder;
  RETUNE_CHECK(options.shape == shape.name, "--shape {}: expected {} or {}", options.shape,
               kSmolLM2Decoder.name, kQwen25Decoder.name);
  const int64_t parameters =
      write_random_llama(folder, device.is_cpu() ? DType::f32 : DType::bf16, shape);
  const std::unique_ptr<model::CausalLm> lm = model::load_causal_lm(folder);

  std::optional<adapters::LoraModel> lora;
  if (!options.full && !options.norm) {
    adapters::LoraConfig config;
    config.r = 16;
    config.lora_alpha = 32;
    config.target_modules = {.form = adapters::ModuleSelector::Form::all_linear};
    config.use_dora = options.dora;
    lora = adapters::attach_lora(*lm, config, 0);
  }
  model::move_weights(*lm, device);
  if (lora) lora->move_to(*lm, device);
  const model::TrainingSetup setup = model::make_training_step(
      *lm,
      [&](const std::string& name) {
        return options.full || (options.norm && name.find("norm") != std::string::npos);
      },
      options.f32_activations ? model::Bf16Activations::nowhere : model::Bf16Activations::on_gpu);
  std::vector<train::Parameter> trained;
  for (const model::TrainedWeight& w : setup.weights) {
    trained.push_back({w.name, w.value, w.grad, train::hf_decays(w.name)});
  }
  if (lora) {
    for (const adapters::AdapterParameter& p : lora->parameters()) {
      trained.push_back({p.name, p.value, p.grad, true});
    }
  }
  train::Optimizer optimizer(trained, {.kind = train::OptimizerKind::adamw});
  const model::TokenBatch host_batch =
      random_batch(options.batch, options.seq, lm->config().vocab_size);
  const model::TokenBatch batch{host_batch.input_ids.to(device), host_batch.labels.to(device),
                                Tensor(), Tensor()};

  // One step; returns the seconds the host took to queue it (before waiting for the device).
  auto train_step = [&] {
    const auto start = std::chrono::steady_clock::now();
    setup.step->step(batch);
    optimizer.step(1e-4);
    optimizer.zero_grad();
    const double queued =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    synchronize_device(device);
    return queued;
  };
  std::vector<double> seconds;
  std::vector<double> queue_seconds;
  nlohmann::json phases;
  nlohmann::json stages = nlohmann::json::array();
  {
    // The CPU's timed steps are profiled. A GPU's queued kernels run behind the host's clocks,
    // so its profile comes from kGpuProfiledSteps more steps that wait for the device at every
    // scope (slower than the timed ones).
    std::optional<profile::Profile> cpu_profile;
    if (device.is_cpu()) cpu_profile.emplace(nullptr, true);
    for (int64_t step = 0; step <= options.steps; ++step) {  // step 0 warms up
      if (step == 1 && cpu_profile) cpu_profile->reset();
      const auto start = std::chrono::steady_clock::now();
      const double queued = train_step();
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (step > 0) {
        seconds.push_back(elapsed);
        queue_seconds.push_back(queued);
      }
    }
    if (cpu_profile) {
      phases = phase_table("profile of the timed steps", cpu_profile->totals(), options.steps);
      stages = stage_table("stage", cpu_profile->stages(), options.steps);
    }
  }
  nlohmann::json host_phases;
  nlohmann::json host_stages;
  if (!device.is_cpu()) {
    constexpr int64_t kGpuProfiledSteps = 3;
    {
      const profile::Profile gpu_profile([&] { synchronize_device(device); }, true);
      for (int64_t step = 0; step < kGpuProfiledSteps; ++step) train_step();
      phases = phase_table("device profile (synchronised at every scope)", gpu_profile.totals(),
                           kGpuProfiledSteps);
      stages = stage_table("stage", gpu_profile.stages(), kGpuProfiledSteps);
    }
    // The host's own share: the same steps unsynchronised, so that every clock reads when the
    // host has queued the work, not when the device ran it. A stage slower here than on the
    // device leaves the device waiting for the host. (A step's end waits for the device to read
    // the loss, outside any phase.)
    const profile::Profile host_profile(nullptr, true);
    for (int64_t step = 0; step < kGpuProfiledSteps; ++step) train_step();
    host_phases =
        phase_table("host profile (time to queue)", host_profile.totals(), kGpuProfiledSteps);
    host_stages = stage_table("host stage", host_profile.stages(), kGpuProfiledSteps);
  }
  std::filesystem::remove_all(folder);
  std::ranges::sort(seconds);
  std::ranges::sort(queue_seconds);
  const double median = seconds[seconds.size() / 2];
  const auto tokens = static_cast<double>(options.batch * options.seq);
  const double tokens_per_second = tokens / median;
  const double flops_per_token = (options.full ? 6.0 : 4.0) * static_cast<double>(parameters);
  const double gflops = tokens_per_second * flops_per_token / 1e9;
  const double sgemm = device.is_cpu() ? sgemm_peak_gflops() : 0.0;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_rss_gb = static_cast<double>(usage.ru_maxrss) * 1024 / 1e9;
  fmt::print(
      "{} {} B={} T={} on {}, {} threads: {:.1f} tokens/s ({:.4f} s/step), {:.1f} GFLOP/s, "
      "peak RSS {:.2f} GB\n",
      shape.name, options.method(), options.batch, options.seq, device_name(device), num_threads(),
      tokens_per_second, median, gflops, peak_rss_gb);
  nlohmann::json result{
      {"method", options.method()},
      {"activations", options.f32_activations || device.is_cpu() ? "f32" : "bf16"},
      {"shape", shape.name},
      {"device", device_name(device)},
      {"batch", options.batch},
      {"seq", options.seq},
      {"threads", num_threads()},
      {"parameters", parameters},
      {"tokens_per_second", tokens_per_second},
      {"seconds_per_step", median},
      // The host's share: a GPU step whose queueing takes about as long as the step is bound
      // by the host's launches, not by the device.
      {"queue_seconds_per_step", queue_seconds[queue_seconds.size() / 2]},
      {"gflops", gflops},
      {"sgemm_gflops", sgemm},
      {"fraction_of_sgemm", sgemm > 0 ? nlohmann::json(gflops / sgemm) : nlohmann::json()},
      {"peak_rss_bytes", usage.ru_maxrss * 1024},
      {"profile_seconds_per_step", phases},
      {"stages_per_step", stages},
      {"host_profile_seconds_per_step", host_phases},
      {"host_stages_per_step", host_stages},
      {"blas", blas_config()}};
  if (!device.is_cpu()) {
    // peft_gpu.py's count: the attention term 12 L C T beside (4 or 6) N.
    const double gpu_flops_per_token =
        flops_per_token + 12.0 * static_cast<double>(shape.layers * shape.hidden * options.seq);
    const double peak_bytes = static_cast<double>(device_peak_bytes(device));
    result["gpu_flops_per_token"] = gpu_flops_per_token;
    result["mfu_h100_bf16"] = tokens_per_second * gpu_flops_per_token / 989e12;
    result["peak_gpu_bytes"] = peak_bytes;
    fmt::print("MFU {:.1f}% of 989 TFLOP/s, peak GPU memory {:.2f} GiB\n",
               100 * result["mfu_h100_bf16"].get<double>(), peak_bytes / (1 << 30));
  }
  fmt::print("{}\n", result.dump());
  return 0;
}

}  // namespace
}  // namespace retune::bench

int main(int argc, char** argv) {
  retune::keep_freed_memory_for_reuse();
  retune::bench::Options options;
  CLI::App app{"retune training-step benchmark (SmolLM2-135M shape)"};
  app.add_option("--threads", options.threads, "threads (default: every core)");
  app.add_option("--batch", options.batch, "rows per step");
  app.add_option("--seq", options.seq, "tokens per row");
  app.add_option("--steps", options.steps, "timed steps after one warm-up step");
  app.add_option("--device", options.device, "cpu, cuda or cuda:N");
  app.add_option("--shape", options.shape, "smollm2-135m or qwen2.5-0.5b");
  auto* full = app.add_flag("--full", options.full, "full fine-tuning instead of LoRA");
  auto* dora = app.add_flag("--dora", options.dora, "DoRA instead of LoRA")->excludes(full);
  app.add_flag("--norm", options.norm, "the norms' weights only (BitFit's counterpart here)")
      ->excludes(full)
      ->excludes(dora);
  app.add_flag("--f32-activations", options.f32_activations,
               "keep every activation in f32 on a GPU too (default there: the large ones in bf16)");
  CLI11_PARSE(app, argc, argv);
  return retune::bench::run(options);
}
