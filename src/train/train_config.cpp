#include "train/train_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "adapters/peft_config_fields.h"
#include "core/error.h"
#include "io/file_contents.h"

namespace retune::train {
namespace {

namespace fs = std::filesystem;

// Where values come from: the config file (errors say "<file>:<line>", relative paths resolve
// against its folder) or a --set (errors say "--set", paths stay relative to the current
// directory).
struct Source {
  std::string file;  // empty for --set
  fs::path folder;
  std::string other_group;  // a top-level group left to the caller; empty: none

  std::string where(const YAML::Mark& mark) const {
    return file.empty() ? "--set" : fmt::format("{}:{}", file, mark.line + 1);
  }
};

// How a value that was rejected is shown: a scalar quoted as written, or what else it is.
std::string shown(const YAML::Node& node) {
  if (node.IsScalar()) return fmt::format("\"{}\"", node.Scalar());
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "null";
}

// Number ranges, with how an error states them.
struct Range {
  std::string_view expected;
  bool (*ok)(double);
};
constexpr Range kAny{"a number", [](double) { return true; }};
constexpr Range kPositive{"a number > 0", [](double x) { return x > 0; }};
constexpr Range kNonNegative{"a number >= 0", [](double x) { return x >= 0; }};
constexpr Range kUnit{"a number in [0, 1]", [](double x) { return x >= 0 && x <= 1; }};
constexpr Range kUnitOpen{"a number in [0, 1)", [](double x) { return x >= 0 && x < 1; }};
constexpr Range kUnitClosed{"a number in (0, 1]", [](double x) { return x > 0 && x <= 1; }};
constexpr Range kAtLeastOne{"a number >= 1", [](double x) { return x >= 1; }};

// One key's value, read as the type the key wants; anything else fails naming the key and
// what it expected, at `mark` (the key's: a null value's own mark is past it).
class Value {
 public:
  Value(YAML::Node node, std::string key, const YAML::Mark& mark, const Source& source)
      : node_(std::move(node)), key_(std::move(key)), mark_(mark), source_(source) {}

  [[noreturn]] void fail(std::string_view expected) const {
    retune::fail("{}: {} must be {}, got {}", source_.where(mark_), key_, expected, shown(node_));
  }

  bool is_null() const { return node_.IsNull(); }
  bool is_scalar() const { return node_.IsScalar(); }

  template <typename Int = int64_t>
  Int integer(std::type_identity_t<Int> min,
              std::type_identity_t<Int> max = std::numeric_limits<Int>::max()) const {
    const std::string expected = max == std::numeric_limits<Int>::max()
                                     ? fmt::format("an integer >= {}", min)
                                     : fmt::format("an integer in [{}, {}]", min, max);
    std::string_view text = scalar(expected);
    if (text.starts_with('+')) text.remove_prefix(1);
    Int value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
      fail(expected);
    }
    return value;
  }

  // A finite number in the range.
  double number(const Range& range) const {
    std::string_view text = scalar(range.expected);
    if (text.starts_with('+')) text.remove_prefix(1);
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
        !range.ok(value)) {
      fail(range.expected);
    }
    return value;
  }

  bool boolean() const {
    bool value = false;
    if (!node_.IsScalar() || !YAML::convert<bool>::decode(node_, value)) fail("true or false");
    return value;
  }

  std::string string() const { return scalar("a string"); }

  // One of `names`, as written.
  std::string one_of(std::initializer_list<std::string_view> names) const {
    return std::string(*(names.begin() + index_of(names)));
  }

  template <typename Enum>
  Enum choice(std::initializer_list<std::pair<std::string_view, Enum>> choices) const {
    std::vector<std::string_view> names;
    for (const auto& choice : choices) names.push_back(choice.first);
    return (choices.begin() + index_of(names))->second;
  }

  fs::path path() const {
    const fs::path path = scalar("a path");
    if (path.empty()) fail("a path");
    return (source_.folder / path).lexically_normal();
  }

  // A path or a list of them.
  std::vector<fs::path> paths() const {
    if (node_.IsScalar()) return {path()};
    return elements("a path or a list of paths",
                    [](const Value& element) { return element.path(); });
  }

  std::vector<std::string> strings(std::string_view expected) const {
    return elements(expected, [&](const Value& element) {
      if (!element.is_scalar()) element.fail(expected);
      return element.string();
    });
  }

  // An integer >= min or a list of them.
  std::vector<int64_t> integers(int64_t min) const {
    if (node_.IsScalar()) return {integer(min)};
    return elements(fmt::format("an integer >= {} or a list of them", min),
                    [&](const Value& element) { return element.integer(min); });
  }

  // A map from strings to what read makes of each value; "<key>.<name>" names a value.
  template <typename Read>
  auto map_of(std::string_view expected, Read read) const {
    std::map<std::string, std::invoke_result_t<Read, const Value&>> values;
    if (!node_.IsMap()) fail(expected);
    for (const auto& entry : node_) {
      const std::string& name = entry.first.Scalar();
      values[name] = read(Value(entry.second, key_ + "." + name, entry.first.Mark(), source_));
    }
    return values;
  }

 private:
  const std::string& scalar(std::string_view expected) const {
    if (!node_.IsScalar()) fail(expected);
    return node_.Scalar();
  }

  size_t index_of(std::span<const std::string_view> names) const {
    const std::string expected = fmt::format("one of {}", fmt::join(names, ", "));
    const auto found = std::find(names.begin(), names.end(), scalar(expected));
    if (found == names.end()) fail(expected);
    return found - names.begin();
  }

  template <typename Read>
  auto elements(std::string_view expected, Read read) const
      -> std::vector<std::invoke_result_t<Read, const Value&>> {
    std::vector<std::invoke_result_t<Read, const Value&>> values;
    if (!node_.IsSequence()) fail(expected);
    for (const auto& element : node_) {
      values.push_back(read(Value(element, key_, element.Mark(), source_)));
    }
    return values;
  }

  YAML::Node node_;
  std::string key_;
  YAML::Mark mark_;
  const Source& source_;
};

template <typename Read>
auto unless_null(const Value& value, Read read) -> std::optional<decltype(read())> {
  if (value.is_null()) return std::nullopt;
  return read();
}

void set_target_modules(const Value& value, LoraSettings& lora) {
  constexpr std::string_view kExpected =
      "\"all-linear\", a regex or a non-empty list of module names";
  lora.target_regex.reset();
  if (!value.is_scalar()) {
    lora.target_modules = value.strings(kExpected);
    if (lora.target_modules.empty()) value.fail(kExpected);
    return;
  }
  std::string text = value.string();
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "all-linear") {
    lora.target_modules = {lower};
  } else {
    lora.target_modules.clear();
    lora.target_regex = std::move(text);
  }
}

// A PEFT module selector: null (unset), a list of module names, or a string: "all-linear" (any
// case, when `all_linear`) or a regex (compiled when the adapter is attached).
adapters::ModuleSelector module_selector(const Value& value, bool all_linear) {
  using Form = adapters::ModuleSelector::Form;
  if (value.is_null()) return {};
  const std::string_view expected = all_linear ? "\"all-linear\", a regex or a list of module names"
                                               : "a regex or a list of module names";
  if (!value.is_scalar()) return {.form = Form::names, .names = value.strings(expected)};
  std::string text = value.string();
  if (all_linear && adapters::lowercase(text) == "all-linear") return {.form = Form::all_linear};
  return {.form = Form::regex, .regex = std::move(text)};
}

// lora.init: one of the names, or "pissa_niter_<k>" with k >= 1.
std::string lora_init(const Value& value) {
  constexpr std::string_view kNiter = "pissa_niter_";
  const std::string text = value.string();
  if (text.starts_with(kNiter)) {
    const std::string_view digits = std::string_view(text).substr(kNiter.size());
    int64_t niter = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), niter);
    if (error == std::errc() && end == digits.data() + digits.size() && niter >= 1) return text;
  }
  constexpr std::string_view kNames[] = {"kaiming", "gaussian", "pissa",   "olora",
                                         "eva",     "corda",    "lora_ga", "mhr_mu"};
  if (std::find(std::begin(kNames), std::end(kNames), text) == std::end(kNames)) {
    value.fail(
        "one of kaiming, gaussian, pissa, pissa_niter_<k> (k >= 1), olora, eva, corda, "
        "lora_ga, mhr_mu");
  }
  return text;
}

// One entry per key: its dotted name and how its value is read into the config.
struct Key {
  std::string_view name;
  void (*set)(const Value&, TrainConfig&);
};

// clang-format off
constexpr Key kKeys[] = {
  {"model", [](const Value& v, TrainConfig& c) { c.model = v.path(); }},
  {"tokenizer", [](const Value& v, TrainConfig& c) {
    c.tokenizer = unless_null(v, [&] { return v.path(); }); }},
  {"output", [](const Value& v, TrainConfig& c) { c.output = v.path(); }},
  {"adapter", [](const Value& v, TrainConfig& c) {
    c.adapter = unless_null(v, [&] { return v.path(); }); }},
  {"method", [](const Value& v, TrainConfig& c) {
    c.method = v.choice<TrainMethod>({{"lora", TrainMethod::lora}, {"ia3", TrainMethod::ia3},
                                      {"ssf", TrainMethod::ssf},
                                      {"full", TrainMethod::full},
                                      {"bitfit", TrainMethod::bitfit},
                                      {"norm", TrainMethod::norm},
                                      {"lt_sft", TrainMethod::lt_sft},
                                      {"s2ft", TrainMethod::s2ft},
                                      {"poly", TrainMethod::poly}});
  }},
  {"log_every", [](const Value& v, TrainConfig& c) { c.log_every = v.integer(0); }},
  {"eval_every", [](const Value& v, TrainConfig& c) { c.eval_every = v.integer(0); }},
  {"save_every", [](const Value& v, TrainConfig& c) { c.save_every = v.integer(0); }},
  {"save_total_limit", [](const Value& v, TrainConfig& c) {
    c.save_total_limit = v.integer(0); }},
  {"threads", [](const Value& v, TrainConfig& c) {
    c.threads = unless_null(v, [&] { return v.integer<int>(1); }); }},
  {"force", [](const Value& v, TrainConfig& c) { c.force = v.boolean(); }},

  {"lora.r", [](const Value& v, TrainConfig& c) { c.lora.r = v.integer(1); }},
  {"lora.alpha", [](const Value& v, TrainConfig& c) { c.lora.alpha = v.number(kPositive); }},
  {"lora.dropout", [](const Value& v, TrainConfig& c) { c.lora.dropout = v.number(kUnitOpen); }},
  {"lora.use_rslora", [](const Value& v, TrainConfig& c) { c.lora.use_rslora = v.boolean(); }},
  {"lora.use_dora", [](const Value& v, TrainConfig& c) { c.lora.use_dora = v.boolean(); }},
  {"lora.target_modules", [](const Value& v, TrainConfig& c) { set_target_modules(v, c.lora); }},
  {"lora.exclude_modules", [](const Value& v, TrainConfig& c) {
    c.lora.exclude_modules = v.strings("a list of module names"); }},
  {"lora.layers_to_transform", [](const Value& v, TrainConfig& c) {
    c.lora.layers_to_transform = v.integers(0); }},
  {"lora.rank_pattern", [](const Value& v, TrainConfig& c) {
    c.lora.rank_pattern = v.map_of("a map of module patterns to ranks",
                                   [](const Value& r) { return r.integer(1); });
  }},
  {"lora.alpha_pattern", [](const Value& v, TrainConfig& c) {
    c.lora.alpha_pattern = v.map_of("a map of module patterns to alphas",
                                    [](const Value& a) { return a.number(kPositive); });
  }},
  {"lora.init", [](const Value& v, TrainConfig& c) { c.lora.init = lora_init(v); }},
  {"lora.init_adapter", [](const Value& v, TrainConfig& c) {
    c.lora.init_adapter = unless_null(v, [&] { return v.path(); }); }},
  {"lora.corda_mode", [](const Value& v, TrainConfig& c) {
    c.lora.corda_mode = v.one_of({"ipm", "kpm"}); }},
  {"lora.eva_rho", [](const Value& v, TrainConfig& c) { c.lora.eva_rho = v.number(kAtLeastOne); }},
  {"lora.eva_tau", [](const Value& v, TrainConfig& c) { c.lora.eva_tau = v.number(kUnitClosed); }},
  {"lora.eva_label_mask", [](const Value& v, TrainConfig& c) {
    c.lora.eva_label_mask = v.boolean(); }},
  {"lora.eva_adjust_scaling", [](const Value& v, TrainConfig& c) {
    c.lora.eva_adjust_scaling = v.boolean(); }},
  {"lora.eva_max_passes", [](const Value& v, TrainConfig& c) {
    c.lora.eva_max_passes = v.integer(1); }},
  {"lora.loraga_variant", [](const Value& v, TrainConfig& c) {
    c.lora.loraga_variant = v.one_of({"official", "peft"}); }},
  {"lora.loraga_gamma", [](const Value& v, TrainConfig& c) {
    c.lora.loraga_gamma = v.number(kPositive); }},
  {"ia3.target_modules", [](const Value& v, TrainConfig& c) {
    c.ia3.target_modules = module_selector(v, true); }},
  {"ia3.feedforward_modules", [](const Value& v, TrainConfig& c) {
    c.ia3.feedforward_modules = module_selector(v, false); }},
  {"ia3.exclude_modules", [](const Value& v, TrainConfig& c) {
    c.ia3.exclude_modules = module_selector(v, false); }},
  {"ia3.modules_to_save", [](const Value& v, TrainConfig& c) {
    c.ia3.modules_to_save = v.strings("a list of module names"); }},
  {"ssf.target_modules", [](const Value& v, TrainConfig& c) {
    c.ssf.target_modules = module_selector(v, true); }},
  {"ssf.init_std", [](const Value& v, TrainConfig& c) {
    c.ssf.init_std = v.number(kNonNegative); }},
  {"ssf.unmergeable_shifts", [](const Value& v, TrainConfig& c) {
    c.ssf.unmergeable_shifts = v.boolean(); }},
  {"poly.r", [](const Value& v, TrainConfig& c) { c.poly.config.shape.r = v.integer(1); }},
  {"poly.n_tasks", [](const Value& v, TrainConfig& c) {
    c.poly.config.shape.n_tasks = v.integer(1);
    c.poly.n_tasks_set = true; }},
  {"poly.n_skills", [](const Value& v, TrainConfig& c) {
    c.poly.config.shape.n_skills = v.integer(1); }},
  {"poly.n_splits", [](const Value& v, TrainConfig& c) {
    c.poly.config.shape.n_splits = v.integer(1); }},
  {"poly.target_modules", [](const Value& v, TrainConfig& c) {
    c.poly.config.target_modules = module_selector(v, true); }},
  {"poly.exclude_modules", [](const Value& v, TrainConfig& c) {
    c.poly.config.exclude_modules = module_selector(v, false); }},
  {"poly.modules_to_save", [](const Value& v, TrainConfig& c) {
    c.poly.config.modules_to_save = v.strings("a list of module names"); }},
  {"poly.tasks", [](const Value& v, TrainConfig& c) {
    c.poly.tasks = v.strings("a list of task names, in id order"); }},
  {"poly.train", [](const Value& v, TrainConfig& c) {
    c.poly.train = v.one_of({"all", "router"}); }},
  {"sparse.fraction", [](const Value& v, TrainConfig& c) {
    c.sparse.fraction = v.number(kUnitClosed); }},
  {"sparse.count", [](const Value& v, TrainConfig& c) { c.sparse.count = v.integer(0); }},
  {"sparse.dense_steps", [](const Value& v, TrainConfig& c) {
    c.sparse.dense_steps = v.integer(0); }},
  {"sparse.mask", [](const Value& v, TrainConfig& c) {
    c.sparse.mask = unless_null(v, [&] { return v.path(); }); }},
  {"ist.enabled", [](const Value& v, TrainConfig& c) { c.ist.enabled = v.boolean(); }},
  {"ist.every", [](const Value& v, TrainConfig& c) { c.ist.every = v.integer(1); }},
  {"ist.active_fraction", [](const Value& v, TrainConfig& c) {
    c.ist.active_fraction = v.number(kUnitClosed); }},
  {"ist.trials", [](const Value& v, TrainConfig& c) { c.ist.trials = v.integer(1); }},
  {"ist.suppressed_fraction", [](const Value& v, TrainConfig& c) {
    c.ist.suppressed_fraction = v.number(kUnitClosed); }},
  {"ist.suppression", [](const Value& v, TrainConfig& c) {
    c.ist.suppression = v.number(kUnit); }},
  {"ist.reward_scale", [](const Value& v, TrainConfig& c) {
    c.ist.reward_scale = v.number(kPositive); }},
  {"ist.rows", [](const Value& v, TrainConfig& c) { c.ist.rows = v.integer(1); }},
  {"s2ft.o_ratio", [](const Value& v, TrainConfig& c) { c.s2ft.o_ratio = v.number(kUnit); }},
  {"s2ft.d_ratio", [](const Value& v, TrainConfig& c) { c.s2ft.d_ratio = v.number(kUnit); }},
  {"s2ft.v_ratio", [](const Value& v, TrainConfig& c) { c.s2ft.v_ratio = v.number(kUnit); }},
  {"s2ft.u_ratio", [](const Value& v, TrainConfig& c) { c.s2ft.u_ratio = v.number(kUnit); }},
  {"s2ft.seed", [](const Value& v, TrainConfig& c) { c.s2ft.seed = v.integer<uint64_t>(0); }},
  {"calibration.data", [](const Value& v, TrainConfig& c) { c.calibration.data = v.paths(); }},
  {"calibration.rows", [](const Value& v, TrainConfig& c) { c.calibration.rows = v.integer(1); }},
  {"calibration.batch_size", [](const Value& v, TrainConfig& c) {
    c.calibration.batch_size = v.integer(1); }},
  {"lora.modules_to_save", [](const Value& v, TrainConfig& c) {
    c.lora.modules_to_save = v.strings("a list of module names"); }},

  {"data.train", [](const Value& v, TrainConfig& c) { c.data.train = v.paths(); }},
  {"data.eval", [](const Value& v, TrainConfig& c) { c.data.eval = v.paths(); }},
  {"data.retain", [](const Value& v, TrainConfig& c) { c.data.retain = v.paths(); }},
  {"data.format", [](const Value& v, TrainConfig& c) {
    c.data.format = v.one_of({"auto", "text", "prompt_completion", "alpaca", "chat"}); }},
  {"data.seq_len", [](const Value& v, TrainConfig& c) {
    c.data.seq_len = v.integer(2, kMaxSeqLen); }},
  {"data.packing", [](const Value& v, TrainConfig& c) { c.data.packing = v.boolean(); }},
  {"data.train_on_all", [](const Value& v, TrainConfig& c) { c.data.train_on_all = v.boolean(); }},
  {"data.chat_template", [](const Value& v, TrainConfig& c) {
    c.data.chat_template = unless_null(v, [&] { return v.one_of({"chatml", "llama3"}); }); }},
  {"data.shuffle", [](const Value& v, TrainConfig& c) { c.data.shuffle = v.boolean(); }},
  {"data.exact_match", [](const Value& v, TrainConfig& c) { c.data.exact_match = v.boolean(); }},
  {"data.long_documents", [](const Value& v, TrainConfig& c) {
    c.data.long_documents = v.one_of({"truncate", "split"}); }},

  {"training.batch_size", [](const Value& v, TrainConfig& c) {
    c.training.batch_size = v.integer(1, kMaxBatchSize); }},
  {"training.grad_accum", [](const Value& v, TrainConfig& c) {
    c.training.grad_accum = v.integer(1); }},
  {"training.steps", [](const Value& v, TrainConfig& c) { c.training.steps = v.integer(0); }},
  {"training.epochs", [](const Value& v, TrainConfig& c) {
    c.training.epochs = v.number(kPositive); }},
  {"training.lr", [](const Value& v, TrainConfig& c) { c.training.lr = v.number(kPositive); }},
  {"training.optimizer", [](const Value& v, TrainConfig& c) {
    c.training.optimizer.kind =
        v.choice<OptimizerKind>({{"adamw", OptimizerKind::adamw}, {"sgd", OptimizerKind::sgd}});
  }},
  {"training.weight_decay", [](const Value& v, TrainConfig& c) {
    c.training.optimizer.weight_decay = v.number(kNonNegative); }},
  {"training.beta1", [](const Value& v, TrainConfig& c) {
    c.training.optimizer.beta1 = v.number(kUnitOpen); }},
  {"training.beta2", [](const Value& v, TrainConfig& c) {
    c.training.optimizer.beta2 = v.number(kUnitOpen); }},
  {"training.eps", [](const Value& v, TrainConfig& c) {
    c.training.optimizer.eps = v.number(kNonNegative); }},
  {"training.momentum", [](const Value& v, TrainConfig& c) {
    c.training.optimizer.momentum = v.number(kNonNegative); }},
  {"training.dampening", [](const Value& v, TrainConfig& c) {
    c.training.optimizer.dampening = v.number(kAny); }},
  {"training.nesterov", [](const Value& v, TrainConfig& c) {
    c.training.optimizer.nesterov = v.boolean(); }},
  {"training.max_grad_norm", [](const Value& v, TrainConfig& c) {
    c.training.max_grad_norm = v.number(kAny); }},
  {"training.seed", [](const Value& v, TrainConfig& c) {
    c.training.seed = v.integer<uint64_t>(0); }},
  {"training.device", [](const Value& v, TrainConfig& c) {
    try {
      c.training.device = parse_device(v.string());
    } catch (const Error&) {
      v.fail("cpu, cuda or cuda:N");
    }
  }},
  {"training.max_skipped_steps", [](const Value& v, TrainConfig& c) {
    c.training.max_skipped_steps = v.integer(0); }},
  {"training.forgetting_budget", [](const Value& v, TrainConfig& c) {
    c.training.forgetting_budget = unless_null(v, [&] { return v.number(kPositive); }); }},

  {"forgetting.replay", [](const Value& v, TrainConfig& c) {
    c.forgetting.replay = v.number(kUnitOpen); }},
  {"forgetting.replay_data", [](const Value& v, TrainConfig& c) {
    c.forgetting.replay_data = v.paths(); }},
  {"forgetting.l2sp", [](const Value& v, TrainConfig& c) {
    c.forgetting.l2sp = v.number(kNonNegative); }},
  {"forgetting.ewc", [](const Value& v, TrainConfig& c) {
    c.forgetting.ewc = v.number(kNonNegative); }},
  {"forgetting.ewc_rows", [](const Value& v, TrainConfig& c) {
    c.forgetting.ewc_rows = v.integer(1); }},
  {"forgetting.ewc_data", [](const Value& v, TrainConfig& c) {
    c.forgetting.ewc_data = v.paths(); }},
  {"forgetting.distill", [](const Value& v, TrainConfig& c) {
    c.forgetting.distill = v.number(kNonNegative); }},
  {"forgetting.distill_temperature", [](const Value& v, TrainConfig& c) {
    c.forgetting.distill_temperature = v.number(kPositive); }},
  {"forgetting.distill_rows", [](const Value& v, TrainConfig& c) {
    c.forgetting.distill_rows = v.integer(1); }},
  {"forgetting.distill_data", [](const Value& v, TrainConfig& c) {
    c.forgetting.distill_data = v.paths(); }},
  {"forgetting.fpf_every", [](const Value& v, TrainConfig& c) {
    c.forgetting.fpf_every = v.integer(0); }},
  {"forgetting.fpf_steps", [](const Value& v, TrainConfig& c) {
    c.forgetting.fpf_steps = v.integer(1); }},
  {"forgetting.fpf_lr", [](const Value& v, TrainConfig& c) {
    c.forgetting.fpf_lr = unless_null(v, [&] { return v.number(kPositive); }); }},
  {"forgetting.fpf_data", [](const Value& v, TrainConfig& c) {
    c.forgetting.fpf_data = v.paths(); }},
  {"forgetting.fpf_modules", [](const Value& v, TrainConfig& c) {
    c.forgetting.fpf_modules = v.strings("a list of name parts"); }},

  {"schedule.kind", [](const Value& v, TrainConfig& c) {
    c.schedule.kind = v.choice<LrScheduleKind>(
        {{"constant", LrScheduleKind::constant}, {"linear", LrScheduleKind::linear},
         {"cosine", LrScheduleKind::cosine},
         {"warmup_stable_decay", LrScheduleKind::warmup_stable_decay},
         {"infinite", LrScheduleKind::infinite}});
  }},
  {"schedule.warmup_steps", [](const Value& v, TrainConfig& c) {
    // As HF's (transformers 5): a number below 1 is a fraction of the steps, rounded up.
    constexpr Range kStepsOrFraction{"an integer >= 0 or a fraction of the steps in (0, 1)",
                                     [](double x) { return x >= 0; }};
    const double steps = v.number(kStepsOrFraction);
    if (steps >= 1 && std::floor(steps) != steps) v.fail(kStepsOrFraction.expected);
    c.schedule.warmup_fraction = steps < 1 ? steps : 0;
    c.schedule.warmup_steps = steps < 1 ? 0 : static_cast<int64_t>(steps);
  }},
  {"schedule.min_lr_ratio", [](const Value& v, TrainConfig& c) {
    c.schedule.min_lr_ratio = v.number(kUnit); }},
  {"schedule.decay_steps", [](const Value& v, TrainConfig& c) {
    c.schedule.decay_steps = v.integer(0); }},
  {"schedule.decay_shape", [](const Value& v, TrainConfig& c) {
    c.schedule.decay_shape = v.choice<DecayShape>({{"cosine", DecayShape::cosine},
                                                   {"linear", DecayShape::linear},
                                                   {"1-sqrt", DecayShape::one_minus_sqrt}});
  }},
  {"schedule.rewarm_at", [](const Value& v, TrainConfig& c) {
    c.schedule.rewarm_at = unless_null(v, [&] { return v.integer(0); }); }},
  {"schedule.rewarm_steps", [](const Value& v, TrainConfig& c) {
    c.schedule.rewarm_steps = unless_null(v, [&] { return v.integer(0); }); }},
  {"schedule.rewarm_peak_ratio", [](const Value& v, TrainConfig& c) {
    c.schedule.rewarm_peak_ratio = v.number(kPositive); }},
  {"schedule.infinite.warmup_end", [](const Value& v, TrainConfig& c) {
    c.schedule.infinite.warmup_end = v.number(kUnit); }},
  {"schedule.infinite.cooldown_end", [](const Value& v, TrainConfig& c) {
    c.schedule.infinite.cooldown_end = v.number(kUnit); }},
  {"schedule.infinite.constant_end", [](const Value& v, TrainConfig& c) {
    c.schedule.infinite.constant_end = v.number(kUnit); }},
  {"schedule.infinite.constant_lr_ratio", [](const Value& v, TrainConfig& c) {
    c.schedule.infinite.constant_lr_ratio = v.number(kUnit); }},
  {"schedule.infinite.cooldown", [](const Value& v, TrainConfig& c) {
    c.schedule.infinite.cooldown = v.choice<CooldownShape>(
        {{"cosine", CooldownShape::cosine}, {"inverse_sqrt", CooldownShape::inverse_sqrt},
         {"linear", CooldownShape::linear}});
  }},
  {"schedule.infinite.timescale", [](const Value& v, TrainConfig& c) {
    c.schedule.infinite.timescale = v.number(kPositive); }},
  {"schedule.infinite.task_start", [](const Value& v, TrainConfig& c) {
    c.schedule.infinite.task_start = v.integer(0); }},
};

// Hugging Face TrainingArguments' and PEFT's names for keys that spelling distance alone would
// not find.
constexpr std::pair<std::string_view, std::string_view> kHfNames[] = {
  {"model_name_or_path", "model"}, {"output_dir", "output"},
  {"logging_steps", "log_every"}, {"eval_steps", "eval_every"}, {"save_steps", "save_every"},
  {"rank", "lora.r"}, {"lora_alpha", "lora.alpha"}, {"lora_dropout", "lora.dropout"},
  {"init_lora_weights", "lora.init"},
  {"max_seq_length", "data.seq_len"}, {"max_length", "data.seq_len"},
  {"learning_rate", "training.lr"}, {"per_device_train_batch_size", "training.batch_size"},
  {"gradient_accumulation_steps", "training.grad_accum"}, {"max_steps", "training.steps"},
  {"num_train_epochs", "training.epochs"}, {"optim", "training.optimizer"},
  {"adam_beta1", "training.beta1"}, {"adam_beta2", "training.beta2"},
  {"adam_epsilon", "training.eps"}, {"lr_scheduler_type", "schedule.kind"},
  {"warmup_ratio", "schedule.warmup_steps"},
};
// clang-format on

std::string_view leaf(std::string_view key) {
  return key.substr(key.rfind('.') + 1);
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({substitute, row[j] + 1, row[j - 1] + 1});
    }
  }
  return row[b.size()];
}

// The known key an unknown one most likely meant: the key of its HF / PEFT name, a key with
// the same last part in another group, or else the nearest by edit distance among the dotted
// keys, their last parts and the groups, when it changes at most a third of the longer name
// (rounded down).
std::optional<std::string_view> nearest_key(std::string_view unknown) {
  const std::string_view unknown_leaf = leaf(unknown);
  for (const auto& [hf, key] : kHfNames) {
    if (hf == unknown_leaf) return key;
  }
  for (const Key& key : kKeys) {
    if (leaf(key.name) == unknown_leaf) return key.name;
  }
  std::optional<std::string_view> best;
  double best_share = 1;
  const auto consider = [&](std::string_view a, std::string_view b, std::string_view key) {
    const size_t longer = std::max(a.size(), b.size());
    const size_t distance = edit_distance(a, b);
    const double share = static_cast<double>(distance) / longer;
    if (distance <= longer / 3 && share < best_share) {
      best = key;
      best_share = share;
    }
  };
  for (const Key& key : kKeys) {
    consider(unknown, key.name, key.name);
    consider(unknown_leaf, leaf(key.name), key.name);
    for (size_t dot = key.name.find('.'); dot != std::string_view::npos;
         dot = key.name.find('.', dot + 1)) {
      consider(unknown, key.name.substr(0, dot), key.name.substr(0, dot));  // a group
    }
  }
  return best;
}

std::string suggestion(std::string_view unknown) {
  const auto key = nearest_key(unknown);
  return key ? fmt::format("; did you mean {}?", *key) : "";
}

bool is_group(std::string_view name) {
  return std::any_of(std::begin(kKeys), std::end(kKeys), [&](const Key& key) {
    return key.name.size() > name.size() && key.name.starts_with(name) &&
           key.name[name.size()] == '.';
  });
}

void apply(const std::string& name, const YAML::Mark& mark, const YAML::Node& node,
           const Source& source, TrainConfig& config);

// Applies every entry of a map whose keys are below `prefix` ("" at the top level).
void apply_map(const std::string& prefix, const YAML::Node& map, const Source& source,
               TrainConfig& config) {
  for (const auto& entry : map) {
    const std::string& name = entry.first.Scalar();
    if (prefix.empty() && !source.other_group.empty() && name == source.other_group) continue;
    apply(prefix.empty() ? name : prefix + "." + name, entry.first.Mark(), entry.second, source,
          config);
  }
}

void apply(const std::string& name, const YAML::Mark& mark, const YAML::Node& node,
           const Source& source, TrainConfig& config) {
  const auto key = std::find_if(std::begin(kKeys), std::end(kKeys),
                                [&](const Key& k) { return k.name == name; });
  if (key != std::end(kKeys)) return key->set(Value(node, name, mark, source), config);
  if (is_group(name)) {
    if (!node.IsMap()) Value(node, name, mark, source).fail("a map");
    return apply_map(name, node, source, config);
  }
  if (source.file.empty()) fail("--set {}: unknown key{}", name, suggestion(name));
  fail("{}: unknown key \"{}\"{}", source.where(mark), name, suggestion(name));
}

void apply_override(const std::string& override, TrainConfig& config) {
  const size_t equals = override.find('=');
  if (equals == std::string::npos || equals == 0) {
    fail("--set \"{}\": expected key=value", override);
  }
  const std::string name = override.substr(0, equals);
  YAML::Node value;
  try {
    value = YAML::Load(override.substr(equals + 1));
  } catch (const YAML::ParserException& error) {
    fail("--set {}: invalid YAML value: {}", name, error.msg);
  }
  apply(name, YAML::Mark(), value, Source{}, config);
}

}  // namespace

TrainConfig load_train_config(const fs::path& file, const std::vector<std::string>& overrides,
                              const std::string& other_group) {
  const Source source{file.string(), file.parent_path(), other_group};
  YAML::Node document;
  try {
    document = YAML::Load(read_text_file(file));
  } catch (const YAML::ParserException& error) {
    fail("{}:{}:{}: invalid YAML: {}", source.file, error.mark.line + 1, error.mark.column + 1,
         error.msg);
  }
  if (!document.IsNull() && !document.IsMap()) {
    fail("{}: expected a map of keys, got {}", source.file, shown(document));
  }

  TrainConfig config;
  if (document.IsMap()) apply_map("", document, source, config);
  for (const std::string& override : overrides) apply_override(override, config);

  if (config.model.empty()) fail("{}: missing required key \"model\"", source.file);
  if (config.output.empty()) fail("{}: missing required key \"output\"", source.file);
  if (config.data.train.empty() && other_group.empty()) {
    fail("{}: missing required key \"data.train\"", source.file);
  }
  if (config.training.forgetting_budget && config.data.retain.empty()) {
    fail("{}: training.forgetting_budget needs data.retain files to measure forgetting on",
         source.file);
  }
  if (config.forgetting.replay > 0 && config.forgetting.replay_data.empty() &&
      config.data.retain.empty()) {
    fail("{}: forgetting.replay needs forgetting.replay_data or data.retain files to replay",
         source.file);
  }
  if (config.forgetting.ewc > 0 && config.forgetting.ewc_data.empty() &&
      config.data.retain.empty()) {
    fail(
        "{}: forgetting.ewc needs forgetting.ewc_data or data.retain files to estimate the "
        "Fisher on",
        source.file);
  }
  if (config.forgetting.distill > 0 && config.forgetting.distill_data.empty() &&
      config.data.retain.empty()) {
    fail(
        "{}: forgetting.distill needs forgetting.distill_data or data.retain files to distill "
        "on",
        source.file);
  }
  if (config.forgetting.fpf_every > 0 && config.forgetting.fpf_data.empty() &&
      config.data.retain.empty()) {
    fail("{}: forgetting.fpf_every needs forgetting.fpf_data or data.retain files to fine-tune on",
         source.file);
  }
  PolySettings& poly = config.poly;
  if (!poly.tasks.empty() && !poly.n_tasks_set) {
    poly.config.shape.n_tasks = static_cast<int64_t>(poly.tasks.size());
  }
  if (!poly.tasks.empty() && static_cast<int64_t>(poly.tasks.size()) != poly.config.shape.n_tasks) {
    fail("{}: poly.tasks names {} tasks but poly.n_tasks is {}; name every task, in id order",
         source.file, poly.tasks.size(), poly.config.shape.n_tasks);
  }
  if (config.lora.init == "mhr_mu" && !config.lora.init_adapter) {
    fail(
        "{}: lora.init mhr_mu averages a Poly adapter's skills: set lora.init_adapter to its "
        "folder",
        source.file);
  }
  return config;
}

std::string method_name(const TrainConfig& config) {
  switch (config.method) {
    case TrainMethod::lora:
      return config.lora.use_dora ? "dora" : "lora";
    case TrainMethod::ia3:
      return "ia3";
    case TrainMethod::ssf:
      return "ssf";
    case TrainMethod::full:
      return "full";
    case TrainMethod::bitfit:
      return "bitfit";
    case TrainMethod::norm:
      return "norm";
    case TrainMethod::lt_sft:
      return "lt_sft";
    case TrainMethod::s2ft:
      return "s2ft";
    case TrainMethod::poly:
      return config.poly.config.shape.n_splits > 1 ? "mhr" : "poly";
  }
  return "";
}

bool trains_adapter(TrainMethod method) {
  return method == TrainMethod::lora || method == TrainMethod::ia3 || method == TrainMethod::ssf ||
         method == TrainMethod::poly;
}

std::vector<std::string> train_config_keys() {
  std::vector<std::string> keys;
  for (const Key& key : kKeys) keys.emplace_back(key.name);
  return keys;
}

}  // namespace retune::train
