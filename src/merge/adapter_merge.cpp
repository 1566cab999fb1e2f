#include "merge/adapter_merge.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "adapters/adapter_folder.h"
#include "adapters/lora_config.h"
#include "adapters/lora_targets.h"
#include "adapters/peft_config_fields.h"
#include "core/error.h"
#include "core/rng.h"
#include "io/safetensors_file.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;
using adapters::ModuleSelector;

constexpr std::string_view kPrefix = "base_model.model.";
constexpr std::string_view kA = ".lora_A.weight";
constexpr std::string_view kB = ".lora_B.weight";

struct InputAdapter {
  fs::path folder;
  nlohmann::ordered_json document;
  adapters::LoraConfig config;
  std::optional<SafetensorsFile> file;
  int64_t rank = 0;               // max(r, rank_pattern's values)
  std::set<std::string> modules;  // with both factors
};

void check_options(size_t count, const AdapterMergeOptions& options) {
  RETUNE_CHECK(count > 0, "merge-adapters: no adapters given");
  RETUNE_CHECK(options.weights.size() == count, "--weights has {} values for {} adapters",
               options.weights.size(), count);
  const CombinationOptions& c = options.combination;
  const char* name = adapter_combination_name(c.combination);
  if (uses_density(c.combination)) {
    RETUNE_CHECK(c.density.has_value(), "{} needs a density (the fraction of entries kept)", name);
    RETUNE_CHECK(*c.density > 0 && *c.density <= 1, "density must be in (0, 1], got {}",
                 *c.density);
  } else {
    RETUNE_CHECK(!c.density, "{} takes no density (ties*, dare_* and magnitude_prune* do)", name);
  }
  if (!factorises(c.combination)) {
    RETUNE_CHECK(!options.svd_rank && !c.svd_clamp,
                 "{} takes no svd rank or clamp (svd and *_svd do)", name);
  }
  if (c.svd_clamp) {
    RETUNE_CHECK(*c.svd_clamp >= 0 && *c.svd_clamp <= 1, "svd clamp must be in [0, 1], got {}",
                 *c.svd_clamp);
  }
  RETUNE_CHECK(!options.svd_rank || *options.svd_rank >= 1, "svd rank must be >= 1, got {}",
               options.svd_rank.value_or(0));
}

// One tensor key's module and whether it is A, or a one-line error.
std::pair<std::string, bool> lora_key(const std::string& file, const std::string& key) {
  for (const std::string_view suffix : {kA, kB}) {
    if (key.starts_with(kPrefix) && key.ends_with(suffix) &&
        key.size() > kPrefix.size() + suffix.size()) {
      return {key.substr(kPrefix.size(), key.size() - kPrefix.size() - suffix.size()),
              suffix == kA};
    }
  }
  fail(
      "{}: tensor \"{}\" is not a LoRA factor (base_model.model.<module>.lora_A.weight or "
      ".lora_B.weight); merge-adapters merges plain LoRA adapters",
      file, key);
}

InputAdapter read_input(const fs::path& folder) {
  InputAdapter input;
  input.folder = folder;
  const fs::path config_file = folder / adapters::kAdapterConfigFile;
  const std::string source = config_file.string();
  input.document = adapters::read_config_document(config_file);
  input.config = adapters::parse_lora_config(input.document, source);
  RETUNE_CHECK(!input.config.use_dora,
               "{}: use_dora is true; a DoRA adapter's magnitude vector needs the base model's "
               "weights, so merge-adapters merges plain LoRA adapters only",
               source);
  RETUNE_CHECK(input.config.modules_to_save.empty(),
               "{}: modules_to_save is set; merge-adapters cannot merge whole module copies (PEFT "
               "refuses them when several adapters have one and otherwise saves base weights)",
               source);
  input.rank = input.config.r;
  for (const auto& [key, r] : input.config.rank_pattern) input.rank = std::max(input.rank, r);
  input.file = SafetensorsFile::open(adapters::adapter_weights_file(folder));
  const std::string file = input.file->path().string();
  std::map<std::string, int> factors;
  for (const std::string& key : input.file->names()) {
    RETUNE_CHECK(
        input.file->info(key).shape.rank() == 2 && dtype_is_float(input.file->info(key).dtype),
        "{}: tensor \"{}\" is {}{}, expected a 2-D float LoRA factor", file, key,
        dtype_name(input.file->info(key).dtype), input.file->info(key).shape.str());
    const auto [module, is_a] = lora_key(file, key);
    factors[module] += is_a ? 1 : 2;
  }
  for (const auto& [module, seen] : factors) {
    RETUNE_CHECK(seen == 3, "{}: module {} has lora_{} but no lora_{}", file, module,
                 seen == 1 ? 'A' : 'B', seen == 1 ? 'B' : 'A');
    input.modules.insert(module);
  }
  RETUNE_CHECK(!input.modules.empty(), "{}: no LoRA tensors", file);
  return input;
}

Tensor factor(const InputAdapter& input, const std::string& module, std::string_view suffix) {
  return input.file->tensor(std::string(kPrefix) + module + std::string(suffix));
}

// PEFT's union of target_modules: sets united, strings joined as "(a)|(b)".
ModuleSelector united_targets(const std::vector<InputAdapter>& inputs) {
  const auto is_list = [](const InputAdapter& input) {
    return input.config.target_modules.form == ModuleSelector::Form::names;
  };
  ModuleSelector united;
  for (const InputAdapter& input : inputs) {
    RETUNE_CHECK(input.config.target_modules.form != ModuleSelector::Form::none,
                 "{}: target_modules is not set", input.folder.string());
    RETUNE_CHECK(is_list(input) == is_list(inputs.front()),
                 "{}: target_modules is a {} but {} has a {}; PEFT merges adapters whose "
                 "target_modules are all lists or all strings",
                 input.folder.string(), is_list(input) ? "list" : "string",
                 inputs.front().folder.string(), is_list(inputs.front()) ? "list" : "string");
    if (is_list(input)) {
      united.form = ModuleSelector::Form::names;
      for (const std::string& name : input.config.target_modules.names) {
        if (std::find(united.names.begin(), united.names.end(), name) == united.names.end()) {
          united.names.push_back(name);
        }
      }
    } else {
      united.form = ModuleSelector::Form::regex;
      united.regex += (united.regex.empty() ? "(" : "|(") +
                      input.document.at("target_modules").get<std::string>() + ")";
    }
  }
  return united;
}

int64_t new_rank(const std::vector<InputAdapter>& inputs, AdapterCombination combination,
                 std::optional<int64_t> svd_rank) {
  int64_t largest = 0;
  int64_t sum = 0;
  for (const InputAdapter& input : inputs) {
    largest = std::max(largest, input.rank);
    sum += input.rank;
    if (needs_equal_ranks(combination) && input.rank != inputs.front().rank) {
      fail(
          "{} has rank {} but {} has rank {}; {} needs adapters of one rank (cat and svd take any)",
          input.folder.string(), input.rank, inputs.front().folder.string(), inputs.front().rank,
          adapter_combination_name(combination));
    }
  }
  if (combination == AdapterCombination::cat) return sum;
  if (factorises(combination)) return svd_rank.value_or(largest);
  return largest;
}

// The module's factors in every adapter that has it, checked against each other.
std::vector<LoraFactors> module_factors(const std::vector<InputAdapter>& inputs,
                                        const std::vector<double>& weights,
                                        const std::string& module, bool same_rank) {
  std::vector<LoraFactors> factors;
  const InputAdapter* first = nullptr;
  for (size_t t = 0; t < inputs.size(); ++t) {
    const InputAdapter& input = inputs[t];
    if (!input.modules.contains(module)) continue;
    const adapters::RankAlpha rank_alpha = adapters::module_rank_alpha(input.config, module);
    LoraFactors f{.a = factor(input, module, kA), .b = factor(input, module, kB)};
    const std::string a_key = std::string(kPrefix) + module + std::string(kA);
    const std::string file = input.file->path().string();
    RETUNE_CHECK(f.a.size(0) == rank_alpha.r && f.b.size(1) == rank_alpha.r,
                 "{}: module {} has lora_A {} and lora_B {}, expected rank {} (r, rank_pattern)",
                 file, module, f.a.shape().str(), f.b.shape().str(), rank_alpha.r);
    if (first != nullptr) {
      const Tensor a0 = factor(*first, module, kA);
      const Tensor b0 = factor(*first, module, kB);
      const bool agree = f.a.size(1) == a0.size(1) && f.b.size(0) == b0.size(0) &&
                         (!same_rank || f.a.size(0) == a0.size(0));
      RETUNE_CHECK(agree,
                   "{}: module {} has lora_A {} and lora_B {} but {} has {} and {}; the adapters "
                   "must adapt one base model",
                   file, module, f.a.shape().str(), f.b.shape().str(), first->file->path().string(),
                   a0.shape().str(), b0.shape().str());
    }
    const double r = static_cast<double>(rank_alpha.r);
    f.scaling = rank_alpha.alpha / (input.config.use_rslora ? std::sqrt(r) : r);
    f.weight = weights[t];
    factors.push_back(std::move(f));
    if (first == nullptr) first = &input;
  }
  return factors;
}

}  // namespace

AdapterMerge merge_adapters(const std::vector<fs::path>& adapter_folders, const fs::path& out,
                            const AdapterMergeOptions& options) {
  check_options(adapter_folders.size(), options);
  std::vector<InputAdapter> inputs;
  for (const fs::path& folder : adapter_folders) inputs.push_back(read_input(folder));

  AdapterMerge result;
  CombinationOptions combination = options.combination;
  if (inputs.size() == 1) combination.combination = AdapterCombination::linear;
  result.combination = combination.combination;
  result.rank = new_rank(inputs, combination.combination, options.svd_rank);
  const ModuleSelector targets = united_targets(inputs);

  const auto base_name = [](const InputAdapter& input) {
    const auto it = input.document.find("base_model_name_or_path");
    return it != input.document.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  for (const InputAdapter& input : inputs) {
    if (base_name(input) != base_name(inputs.front())) {
      result.warnings.push_back(fmt::format(
          "{} names the base model \"{}\" but {} names \"{}\"; merging them as adapters of one "
          "model",
          input.folder.string(), base_name(input), inputs.front().folder.string(),
          base_name(inputs.front())));
    }
  }
  if (inputs.front().config.use_rslora) {
    result.warnings.push_back(fmt::format(
        "{} has use_rslora, which the merged config keeps (as PEFT does): with lora_alpha = r = "
        "{} the merged adapter scales by sqrt({}), not 1",
        inputs.front().folder.string(), result.rank, result.rank));
  }

  std::vector<std::string> modules;
  for (const InputAdapter& input : inputs) {
    modules.insert(modules.end(), input.modules.begin(), input.modules.end());
  }
  std::sort(modules.begin(), modules.end());
  modules.erase(std::unique(modules.begin(), modules.end()), modules.end());
  result.modules = modules.size();

  std::vector<MergedFactors> merged(modules.size());
  std::mutex mutex;
  std::exception_ptr error;
  const auto count = static_cast<int64_t>(modules.size());
  const bool same_rank = needs_equal_ranks(combination.combination);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t m = 0; m < count; ++m) {
    try {
      const std::string& module = modules[static_cast<size_t>(m)];
      const std::vector<LoraFactors> factors =
          module_factors(inputs, options.weights, module, same_rank);
      RETUNE_CHECK(!same_rank || factors.front().a.size(0) == result.rank,
                   "{}: module {} has rank {}, not the adapters' rank {} (rank_pattern); merge "
                   "it with cat or svd",
                   inputs.front().folder.string(), module, factors.front().a.size(0), result.rank);
      merged[static_cast<size_t>(m)] =
          combine_lora_module(factors, result.rank, combination,
                              mix64(options.seed ^ mix64(static_cast<uint64_t>(m))), module);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);

  NamedTensors tensors;
  for (size_t m = 0; m < modules.size(); ++m) {
    tensors.emplace_back(std::string(kPrefix) + modules[m] + std::string(kA), merged[m].a);
    tensors.emplace_back(std::string(kPrefix) + modules[m] + std::string(kB), merged[m].b);
  }
  adapters::LoraConfig config = inputs.front().config;
  config.r = result.rank;
  config.lora_alpha = static_cast<double>(result.rank);
  config.rank_pattern.clear();
  config.alpha_pattern.clear();
  config.target_modules = targets;
  adapters::write_adapter_folder(out, tensors,
                                 adapters::peft_adapter_config(config, base_name(inputs.front())));
  return result;
}

}  // namespace retune::merge
