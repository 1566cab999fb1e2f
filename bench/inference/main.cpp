// retune_inference_bench: end-to-end inference speed on a random model of the SmolLM2-135M
// shape (random_llama.h) and the encode throughput of the fixture tokenizers.
//   retune_inference_bench [--threads N] [--dtype f32|bf16] [--prompt 64] [--new-tokens 128]
//                          [--keep DIR] [--fixtures DIR]
// Measures: load_causal_lm (median of 5; the file was just written, so it is in the page
// cache), the first forward of `prompt` tokens after a fresh load (it pages the mmapped
// weights in) and the median of 3 later ones, greedy generate() of exactly `new-tokens` tokens
// (median of 3: prefill and decode tokens/s), and each tokenizer's encode() over an 8 MiB text
// (median of 3, one thread). Prints readable lines, then the whole run as one JSON object on
// the last line, with the machine's context: CPU, threads, OpenBLAS build, the sgemm GFLOP/s
// and memory read bandwidth measured in the same run, and the load averages at the start and
// the end (another busy process on the cores skews every number: OpenMP threads spin-wait).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "bench_common.h"
#include "compare/machine_info.h"
#include "core/error.h"
#include "core/heap_reuse.h"
#include "core/rng.h"
#include "core/threads.h"
#include "inference/random_llama.h"
#include "model/causal_lm.h"
#include "model/generator.h"
#include "tokenizer/tokenizer.h"

namespace retune::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Options {
  std::optional<int> threads;
  std::string dtype = "f32";
  int64_t prompt = 64;
  int64_t new_tokens = 128;
  std::optional<std::string> keep;
  std::string fixtures = RETUNE_FIXTURES_DIR;
};

// The seconds `work` takes.
template <typename Work>
double seconds(Work&& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::ranges::sort(values);
  return values[values.size() / 2];
}


// The 1, 5 and 15 minute load averages.
std::vector<double> load_average() {
  double load[3];
  RETUNE_CHECK(getloadavg(load, 3) == 3, "cannot read the load average");
  return {load[0], load[1], load[2]};
}

// The memory read bandwidth in GB/s: the best of 5 parallel sums over 512 MiB of floats with
// the threads in use, the most a memory-bound decode step can stream.
double read_bandwidth_gbs() {
  const std::vector<float> data(size_t{1} << 27, 1.0f);
  double best = 0;
  for (int pass = 0; pass < 5; ++pass) {
    float sum = 0;
    const double s = seconds([&] {
#pragma omp parallel for simd reduction(+ : sum)
      for (size_t i = 0; i < data.size(); ++i) sum += data[i];
    });
    benchmark::DoNotOptimize(sum);
    best = std::max(best, static_cast<double>(data.size() * sizeof(float)) / s / 1e9);
  }
  return best;
}

// A folder for the model: `keep` (created if missing) or a new temporary folder that is
// removed with this object.
class ModelFolder {
 public:
  explicit ModelFolder(const std::optional<std::string>& keep) {
    if (keep) {
      path_ = *keep;
      fs::create_directories(path_);
      return;
    }
    std::string pattern = (fs::temp_directory_path() / "retune-inference-bench-XXXXXX").string();
    RETUNE_CHECK(mkdtemp(pattern.data()) != nullptr, "cannot create a folder like {}", pattern);
    path_ = pattern;
    temporary_ = true;
  }
  ~ModelFolder() {
    std::error_code ignored;
    if (temporary_) fs::remove_all(path_, ignored);
  }
  ModelFolder(const ModelFolder&) = delete;
  ModelFolder& operator=(const ModelFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool temporary_ = false;
};

// load_causal_lm(folder): the median of 5 loads (each after the previous model is gone), then
// on the last one the first forward of `prompt` (i32 [1, T]; it pages the mmapped weights in)
// and the median of 3 more. Leaves that model, warm, in `lm`.
json time_load_and_forward(const fs::path& folder, const Tensor& prompt,
                           std::unique_ptr<model::CausalLm>& lm) {
  std::vector<double> loads;
  for (int i = 0; i < 5; ++i) {
    lm.reset();  // unmaps the previous load, so the last one starts fresh
    loads.push_back(seconds([&] { lm = model::load_causal_lm(folder); }));
  }
  const double first_forward = seconds([&] { lm->forward(prompt); });
  std::vector<double> forwards;
  for (int i = 0; i < 3; ++i) forwards.push_back(seconds([&] { lm->forward(prompt); }));
  return {{"load_s", median(loads)},
          {"load_s_runs", loads},
          {"first_forward_s", first_forward},
          {"forward_s", median(forwards)}};
}

// Greedy generation of exactly `new_tokens` tokens after `prompt`, 3 runs: the medians of
// prefill tokens/s (prompt / prefill_seconds) and decode tokens/s ((new - 1) / decode_seconds).
json time_generation(const model::CausalLm& lm, const std::vector<int32_t>& prompt,
                     int64_t new_tokens) {
  model::GenerationOptions options;
  options.max_new_tokens = new_tokens;
  std::vector<double> prefill, decode;
  for (int run = 0; run < 3; ++run) {
    const model::GenerationResult result = model::generate(lm, prompt, options);
    RETUNE_CHECK(std::ssize(result.ids) == new_tokens, "generate stopped after {} tokens",
                 result.ids.size());
    prefill.push_back(static_cast<double>(prompt.size()) / result.prefill_seconds);
    decode.push_back(static_cast<double>(new_tokens - 1) / result.decode_seconds);
  }
  return {{"prefill_tokens_per_s", median(prefill)},
          {"decode_tokens_per_s", median(decode)},
          {"prefill_tokens_per_s_runs", prefill},
          {"decode_tokens_per_s_runs", decode}};
}

// A word spelled from n in base 26 ("a" .. "z", "ab", ...), distinct for every n.
std::string counter_word(size_t n) {
  std::string word;
  do {
    word += static_cast<char>('a' + n % 26);
    n /= 26;
  } while (n != 0);
  return word;
}

// At least `bytes` of text: the non-empty texts of `reference_json`'s cases that `tokenizer`
// accepts (Qwen2's NFC normalizer refuses text NFC could change), repeated, each followed by a
// new counter_word so that the words keep varying past the BPE word cache. Counts the texts
// left out in `skipped`.
std::string tokenizer_text(const fs::path& reference_json, Tokenizer& tokenizer, size_t bytes,
                           int& skipped) {
  std::ifstream file(reference_json);
  RETUNE_CHECK(file.good(), "{}: cannot open", reference_json.string());
  std::vector<std::string> texts;
  const json reference = json::parse(file);
  skipped = 0;
  for (const json& item : reference.at("cases")) {
    auto text = item.at("text").get<std::string>();
    if (text.empty()) continue;
    try {
      tokenizer.encode(text, false);
      texts.push_back(std::move(text));
    } catch (const Error&) {
      ++skipped;
    }
  }
  RETUNE_CHECK(!texts.empty(), "{}: no usable texts", reference_json.string());
  std::string corpus;
  for (size_t n = 0; corpus.size() < bytes; ++n) {
    corpus += texts[n % texts.size()];
    corpus += ' ' + counter_word(n) + ' ';
  }
  return corpus;
}

// encode() throughput of every fixture tokenizer under `fixtures`/hf/tokenizers on an 8 MiB
// text (tokenizer_text), without special tokens: the median of 3 in MB/s (10^6 bytes).
json time_tokenizers(const fs::path& fixtures) {
  json results;
  for (const char* name :
       {"bytelevel_gpt2", "bytelevel_llama3", "bytelevel_qwen2", "sentencepiece_bpe"}) {
    const fs::path folder = fixtures / "hf" / "tokenizers" / name;
    Tokenizer tokenizer = Tokenizer::load(folder);
    int skipped = 0;
    const std::string text =
        tokenizer_text(folder / "reference.json", tokenizer, size_t{8} << 20, skipped);
    std::vector<double> rates;
    size_t tokens = 0;
    for (int run = 0; run < 3; ++run) {
      const double s = seconds([&] { tokens = tokenizer.encode(text, false).size(); });
      rates.push_back(static_cast<double>(text.size()) / s / 1e6);
    }
    results[name] = {{"mb_per_s", median(rates)},
                     {"text_bytes", text.size()},
                     {"tokens", tokens},
                     {"texts_skipped", skipped}};
    fmt::print("tokenizer {:18} {:6.2f} MB/s  ({} bytes -> {} tokens{})\n", name, median(rates),
               text.size(), tokens,
               skipped ? fmt::format(", {} reference texts skipped", skipped) : "");
  }
  return results;
}

void run(const Options& options) {
  RETUNE_CHECK(options.dtype == "f32" || options.dtype == "bf16",
               "--dtype must be f32 or bf16, got {}", options.dtype);
  RETUNE_CHECK(options.prompt >= 1, "--prompt must be >= 1, got {}", options.prompt);
  RETUNE_CHECK(options.new_tokens >= 2, "--new-tokens must be >= 2, got {}", options.new_tokens);
  if (options.threads) set_num_threads(*options.threads);
  const DType dtype = options.dtype == "bf16" ? DType::bf16 : DType::f32;
  const ModelShape& shape = kSmolLM2;

  json report = {{"benchmark", "inference"},
                 {"date", compare::utc_timestamp()},
                 {"cpu_model", compare::machine_info().cpu},
                 {"threads", num_threads()},
                 {"blas", blas_config()}};
  const std::vector<double> load = load_average();
  report["load_avg"] = load;
  report["sgemm_1024_gflops"] = sgemm_peak_gflops();
  report["read_bandwidth_gbs"] = read_bandwidth_gbs();
  fmt::print(
      "{}, {} threads, load {:.2f}; sgemm 1024^3 {:.1f} GFLOP/s, read bandwidth {:.1f} GB/s\n",
      report["cpu_model"].get<std::string>(), num_threads(), load[0],
      report["sgemm_1024_gflops"].get<double>(), report["read_bandwidth_gbs"].get<double>());

  const ModelFolder folder(options.keep);
  int64_t parameters = 0;
  const double write_s = seconds([&] { parameters = write_random_llama(folder.path(), dtype); });
  report["model"] = {{"shape", "SmolLM2-135M"},
                     {"dtype", options.dtype},
                     {"hidden", shape.hidden},
                     {"intermediate", shape.mlp},
                     {"layers", kSmolLM2Layers},
                     {"heads", shape.heads},
                     {"kv_heads", shape.kv_heads},
                     {"vocab", shape.vocab},
                     {"parameters", parameters},
                     {"file_bytes", fs::file_size(folder.path() / "model.safetensors")},
                     {"write_s", write_s}};
  report["prompt_tokens"] = options.prompt;
  report["new_tokens"] = options.new_tokens;
  fmt::print("model: SmolLM2-135M shape, {}, {:.1f}M parameters, written in {:.2f} s to {}\n",
             options.dtype, static_cast<double>(parameters) / 1e6, write_s, folder.path().string());

  Rng rng(1);
  std::vector<int32_t> prompt(static_cast<size_t>(options.prompt));
  for (int32_t& id : prompt) id = static_cast<int32_t>(rng.integer(0, shape.vocab - 1));
  const Tensor prompt_tensor =
      Tensor::from_vector<int32_t>({1, options.prompt}, DType::i32, prompt);

  std::unique_ptr<model::CausalLm> lm;
  report["load"] = time_load_and_forward(folder.path(), prompt_tensor, lm);
  const json& l = report["load"];
  fmt::print(
      "load_causal_lm {:.3f} s (median of 5, file in the page cache); forward of {} tokens: "
      "first after load {:.3f} s, later {:.3f} s\n",
      l["load_s"].get<double>(), options.prompt, l["first_forward_s"].get<double>(),
      l["forward_s"].get<double>());

  report["generation"] = time_generation(*lm, prompt, options.new_tokens);
  json& g = report["generation"];
  // Every decode step streams each f32 weight matrix once (a bf16 file's are converted to f32 at
  // load), the tied head's f32 [V, C] copy included: 4 bytes per parameter, the head standing in
  // for the embedding table (same size), of which a step reads one row.
  const double bytes_per_token = 4.0 * static_cast<double>(parameters);
  g["weight_bytes_per_token"] = bytes_per_token;
  g["decode_bandwidth_gbs"] = g["decode_tokens_per_s"].get<double>() * bytes_per_token / 1e9;
  fmt::print(
      "generate: prompt {}, {} new tokens: prefill {:.1f} tokens/s, decode {:.2f} tokens/s "
      "({:.1f} GB/s of f32 weights)\n",
      options.prompt, options.new_tokens, g["prefill_tokens_per_s"].get<double>(),
      g["decode_tokens_per_s"].get<double>(), g["decode_bandwidth_gbs"].get<double>());

  report["tokenizers"] = time_tokenizers(options.fixtures);
  report["load_avg_end"] = load_average();
  fmt::print("{}\n", report.dump());
}

}  // namespace
}  // namespace retune::bench

int main(int argc, char** argv) {
  retune::keep_freed_memory_for_reuse();
  retune::bench::Options options;
  CLI::App app("retune inference benchmark: load, forward, generate, tokenizer encode");
  app.add_option("--threads", options.threads, "threads to compute with (default: every core)");
  app.add_option("--dtype", options.dtype, "weight dtype of the random model: f32 or bf16");
  app.add_option("--prompt", options.prompt, "prompt tokens");
  app.add_option("--new-tokens", options.new_tokens, "tokens to generate");
  app.add_option("--keep", options.keep, "write the model into DIR and keep it");
  app.add_option("--fixtures", options.fixtures, "the tests/fixtures folder");
  CLI11_PARSE(app, argc, argv);
  try {
    retune::bench::run(options);
  } catch (const std::exception& error) {
    fmt::print(stderr, "retune_inference_bench: error: {}\n", error.what());
    return 1;
  }
  return 0;
}
