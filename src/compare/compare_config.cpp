#include "compare/compare_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "core/error.h"
#include "io/file_contents.h"

namespace retune::compare {
namespace {

namespace fs = std::filesystem;

constexpr const char* kGroup = "compare";

// The node as flow YAML on one line: what --set reads back as the same value.
std::string flow_yaml(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

// Reads the compare group's values, failing with "<file>:<line>: compare.<key> must be ...".
class GroupReader {
 public:
  explicit GroupReader(const fs::path& file) : file_(file.string()), folder_(file.parent_path()) {}

  int line(const YAML::Node& node) const { return node.Mark().line + 1; }
  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const YAML::Node& node, std::string_view key,
                         std::string_view expected) const {
    retune::fail("{}:{}: {}.{} must be {}", file_, line(node), kGroup, key, expected);
  }

  void known_keys(const YAML::Node& map, const std::string& group,
                  const std::set<std::string>& keys) const {
    for (const auto& entry : map) {
      if (!keys.contains(entry.first.Scalar())) {
        retune::fail("{}:{}: unknown key \"{}.{}\"; the keys are {}", file_, line(entry.first),
                     group, entry.first.Scalar(), fmt::join(keys, ", "));
      }
    }
  }

  // A path or a list of paths, relative to the file's folder.
  std::vector<fs::path> paths(const YAML::Node& node, std::string_view key) const {
    std::vector<fs::path> paths;
    const auto add = [&](const YAML::Node& item) {
      if (!item.IsScalar() || item.Scalar().empty()) fail(item, key, "a path or a list of paths");
      paths.push_back((folder_ / item.Scalar()).lexically_normal());
    };
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) add(item);
    } else {
      add(node);
    }
    return paths;
  }

  int64_t positive_integer(const YAML::Node& node, std::string_view key) const {
    const std::string text = node.IsScalar() ? node.Scalar() : "";
    int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 1) {
      fail(node, key, "an integer >= 1");
    }
    return value;
  }

 private:
  std::string file_;
  fs::path folder_;
};

bool valid_method_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' ||
                  c == '-';
         });
}

// The message of a --set error without its "--set" lead: the method's set is not the command
// line's.
std::string without_set_lead(std::string message) {
  for (const std::string_view lead : {"--set: ", "--set "}) {
    if (message.starts_with(lead)) return message.substr(lead.size());
  }
  return message;
}

CompareMethod read_method(const YAML::Node& node, size_t index, const GroupReader& reader,
                          const CompareConfig& config, const std::vector<std::string>& overrides) {
  const std::string key = fmt::format("methods[{}]", index);
  if (!node.IsMap()) reader.fail(node, key, "a map of name and set");
  reader.known_keys(node, fmt::format("{}.{}", kGroup, key), {"name", "set"});
  const YAML::Node name = node["name"];
  if (!name) fail("{}:{}: {}.{} has no name", reader.file(), reader.line(node), kGroup, key);
  CompareMethod method{.name = name.IsScalar() ? name.Scalar() : ""};
  if (!valid_method_name(method.name)) {
    reader.fail(name, key + ".name", "a name of letters, digits and . _ + -");
  }
  const std::string where = fmt::format("{}:{}: {}.{} \"{}\"", reader.file(), reader.line(node),
                                        kGroup, key, method.name);
  if (const YAML::Node set = node["set"]) {
    if (!set.IsMap()) reader.fail(set, key + ".set", "a map of training config keys");
    for (const auto& entry : set) {
      const std::string& setting = entry.first.Scalar();
      const std::string top = setting.substr(0, setting.find('.'));
      if (top == "model" || top == "tokenizer" || top == "output") {
        fail(
            "{}: {} belongs to the comparison (every method trains the same base into its own "
            "folder)",
            where, setting);
      }
      method.set.push_back(setting + "=" + flow_yaml(entry.second));
    }
  }
  std::vector<std::string> all = overrides;
  all.insert(all.end(), method.set.begin(), method.set.end());
  try {
    method.train = train::load_train_config(config.file, all, kGroup);
  } catch (const Error& error) {
    fail("{}: {}", where, without_set_lead(error.what()));
  }
  return method;
}

}  // namespace

CompareConfig load_compare_config(const fs::path& file, const std::vector<std::string>& overrides) {
  CompareConfig config{.file = fs::absolute(file).lexically_normal()};
  config.base = train::load_train_config(config.file, overrides, kGroup);
  const fs::path folder = config.file.parent_path();
  // A --set's relative path is the folder's too (a path from the file is absolute already).
  config.base.model = folder / config.base.model;
  config.base.output = folder / config.base.output;
  if (config.base.tokenizer) config.base.tokenizer = folder / *config.base.tokenizer;
  RETUNE_CHECK(!config.base.data.train.empty(), "{}: missing required key \"data.train\"",
               config.file.string());

  const YAML::Node document = YAML::Load(read_text_file(config.file));  // parsed once already
  for (const auto& entry : document) {
    if (entry.first.Scalar() == kGroup) continue;
    config.base_overrides.push_back(entry.first.Scalar() + "=" + flow_yaml(entry.second));
  }
  config.base_overrides.insert(config.base_overrides.end(), overrides.begin(), overrides.end());

  const GroupReader reader(config.file);
  const YAML::Node group = document[kGroup];
  RETUNE_CHECK(group && group.IsMap(), "{}: missing required group \"{}\" (a map)",
               config.file.string(), kGroup);
  reader.known_keys(group, kGroup, {"methods", "new_task", "retain", "repeats"});
  const YAML::Node new_task = group["new_task"];
  RETUNE_CHECK(new_task, "{}: missing required key \"{}.new_task\"", config.file.string(), kGroup);
  config.new_task = reader.paths(new_task, "new_task");
  if (new_task.IsSequence() && new_task.size() == 0) {
    reader.fail(new_task, "new_task", "a path or a list of paths");
  }
  if (const YAML::Node retain = group["retain"]) config.retain = reader.paths(retain, "retain");
  if (const YAML::Node repeats = group["repeats"]) {
    config.repeats = reader.positive_integer(repeats, "repeats");
  }
  const YAML::Node methods = group["methods"];
  RETUNE_CHECK(methods, "{}: missing required key \"{}.methods\"", config.file.string(), kGroup);
  if (!methods.IsSequence() || methods.size() == 0) {
    reader.fail(methods, "methods", "a list of methods");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < methods.size(); ++i) {
    config.methods.push_back(read_method(methods[i], i, reader, config, overrides));
    RETUNE_CHECK(names.insert(config.methods.back().name).second,
                 "{}:{}: method name \"{}\" is used twice", config.file.string(),
                 reader.line(methods[i]), config.methods.back().name);
  }
  return config;
}

uint64_t run_seed(const CompareMethod& method, int64_t repeat) {
  return method.train.training.seed + static_cast<uint64_t>(repeat);
}

std::vector<std::string> run_overrides(const CompareConfig& config, const CompareMethod& method,
                                       const fs::path& output, int64_t repeat) {
  std::vector<std::string> overrides = config.base_overrides;
  overrides.insert(overrides.end(), method.set.begin(), method.set.end());
  overrides.push_back("output=" + flow_yaml(YAML::Node(output.string())));
  if (config.repeats > 1) {
    overrides.push_back(fmt::format("training.seed={}", run_seed(method, repeat)));
  }
  return overrides;
}

}  // namespace retune::compare
