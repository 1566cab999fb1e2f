#include "continual/continual_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <set>

#include "core/error.h"
#include "io/file_contents.h"
#include "io/path_names.h"

namespace retune::continual {
namespace {

namespace fs = std::filesystem;

// Reads the continual group's values, failing with "<file>:<line>: continual.<key> must be ...".
class Reader {
 public:
  Reader(std::string file, fs::path folder) : file_(std::move(file)), folder_(std::move(folder)) {}

  [[noreturn]] void fail(const YAML::Node& node, std::string_view key,
                         std::string_view expected) const {
    retune::fail("{}:{}: continual.{} must be {}, got {}", file_, node.Mark().line + 1, key,
                 expected,
                 node.IsScalar()     ? fmt::format("\"{}\"", node.Scalar())
                 : node.IsMap()      ? std::string("a map")
                 : node.IsSequence() ? fmt::format("a list of {}", node.size())
                                     : std::string("null"));
  }

  std::string scalar(const YAML::Node& node, std::string_view key,
                     std::string_view expected) const {
    if (!node.IsScalar() || node.Scalar().empty()) fail(node, key, expected);
    return node.Scalar();
  }

  int64_t integer(const YAML::Node& node, std::string_view key, int64_t min) const {
    const std::string expected = fmt::format("an integer >= {}", min);
    const std::string text = scalar(node, key, expected);
    int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < min) {
      fail(node, key, expected);
    }
    return value;
  }

  double fraction(const YAML::Node& node, std::string_view key) const {
    const std::string text = scalar(node, key, "a number in (0, 1)");
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !(value > 0 && value < 1)) {
      fail(node, key, "a number in (0, 1)");
    }
    return value;
  }

  fs::path path(const YAML::Node& node, std::string_view key) const {
    return (folder_ / scalar(node, key, "a path")).lexically_normal();
  }

  // Checks a map's keys against the known ones.
  void known_keys(const YAML::Node& map, std::string_view group,
                  const std::set<std::string>& keys) const {
    for (const auto& entry : map) {
      const std::string& key = entry.first.Scalar();
      if (!keys.contains(key)) {
        retune::fail("{}:{}: unknown key \"{}.{}\"; the keys are {}", file_,
                     entry.first.Mark().line + 1, group, key,
                     fmt::format("{}", fmt::join(keys, ", ")));
      }
    }
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  fs::path folder_;
};

ContinualTask read_task(const YAML::Node& node, size_t index, const Reader& reader) {
  const std::string key = fmt::format("tasks[{}]", index);
  if (!node.IsMap()) reader.fail(node, key, "a map of name, train and test");
  reader.known_keys(node, "continual." + key, {"name", "train", "test"});
  ContinualTask task;
  for (const char* part : {"train", "test"}) {
    if (!node[part]) {
      retune::fail("{}:{}: continual.{} has no {} file", reader.file(), node.Mark().line + 1, key,
                   part);
    }
  }
  task.train = reader.path(node["train"], key + ".train");
  task.test = reader.path(node["test"], key + ".test");
  task.name = node["name"] ? reader.scalar(node["name"], key + ".name", "a string")
                           : task.train.stem().string();
  // The name is part of the task's run folder (OUTPUT/task-<i>-<name>), which must stay inside
  // the output folder.
  if (!is_plain_file_name(task.name)) {
    reader.fail(node["name"] ? node["name"] : node, key + ".name",
                "a name without '/' or '\\', not \".\" or \"..\"");
  }
  return task;
}

}  // namespace

std::string strategy_name(Strategy strategy) {
  switch (strategy) {
    case Strategy::sequential:
      return "sequential";
    case Strategy::replay:
      return "replay";
    case Strategy::kfpf:
      return "kfpf";
    case Strategy::adapter_per_task:
      return "adapter_per_task";
  }
  return "";
}

ContinualConfig load_continual_config(const fs::path& file,
                                      const std::vector<std::string>& overrides) {
  ContinualConfig config{.train = train::load_train_config(file, overrides, "continual")};
  const train::DataSettings& data = config.train.data;
  RETUNE_CHECK(data.train.empty() && data.eval.empty() && data.retain.empty(),
               "{}: data.train, data.eval and data.retain come from continual.tasks; the config "
               "must not set them",
               file.string());
  const Reader reader(file.string(), file.parent_path());
  const YAML::Node document = YAML::Load(read_text_file(file));  // parsed once already
  const YAML::Node group = document["continual"];
  RETUNE_CHECK(group && group.IsMap(), "{}: missing required group \"continual\" (a map)",
               file.string());
  reader.known_keys(group, "continual",
                    {"tasks", "strategy", "merge", "buffer_size", "replay_fraction", "eval_every"});
  const YAML::Node tasks = group["tasks"];
  if (!tasks) fail("{}: missing required key \"continual.tasks\"", file.string());
  if (!tasks.IsSequence() || tasks.size() == 0) reader.fail(tasks, "tasks", "a list of tasks");
  std::set<std::string> names;
  for (size_t i = 0; i < tasks.size(); ++i) {
    config.tasks.push_back(read_task(tasks[i], i, reader));
    RETUNE_CHECK(names.insert(config.tasks.back().name).second,
                 "{}:{}: task name \"{}\" is used twice", file.string(), tasks[i].Mark().line + 1,
                 config.tasks.back().name);
  }
  if (const YAML::Node node = group["strategy"]) {
    const std::string name = reader.scalar(node, "strategy", "a strategy");
    if (name == "sequential") {
      config.strategy = Strategy::sequential;
    } else if (name == "replay") {
      config.strategy = Strategy::replay;
    } else if (name == "kfpf") {
      config.strategy = Strategy::kfpf;
    } else if (name == "adapter_per_task") {
      config.strategy = Strategy::adapter_per_task;
    } else {
      reader.fail(node, "strategy", "one of sequential, replay, kfpf, adapter_per_task");
    }
  }
  if (const YAML::Node node = group["merge"]) {
    const std::string name = reader.scalar(node, "merge", "none or mean");
    if (name != "none" && name != "mean") reader.fail(node, "merge", "none or mean");
    config.merge = name == "mean" ? AdapterMerge::mean : AdapterMerge::none;
  }
  if (const YAML::Node node = group["buffer_size"]) {
    config.buffer_size = reader.integer(node, "buffer_size", 1);
  }
  if (const YAML::Node node = group["replay_fraction"]) {
    config.replay_fraction = reader.fraction(node, "replay_fraction");
  }
  if (const YAML::Node node = group["eval_every"]) {
    config.eval_every = reader.integer(node, "eval_every", 0);
  }
  const train::ForgettingSettings& forgetting = config.train.forgetting;
  RETUNE_CHECK((config.strategy == Strategy::kfpf) == (forgetting.fpf_every > 0),
               "{}: continual.strategy kfpf and forgetting.fpf_every > 0 go together",
               file.string());
  RETUNE_CHECK(
      forgetting.replay == 0 && forgetting.replay_data.empty() && forgetting.fpf_data.empty(),
      "{}: forgetting.replay and the fpf files come from continual.strategy (replay, "
      "kfpf) and its reservoir",
      file.string());
  RETUNE_CHECK(
      config.strategy != Strategy::adapter_per_task || train::trains_adapter(config.train.method),
      "{}: continual.strategy adapter_per_task needs method lora or ia3", file.string());
  return config;
}

}  // namespace retune::continual
