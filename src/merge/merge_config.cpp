#include "merge/merge_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <set>
#include <string_view>

#include "core/error.h"
#include "io/file_contents.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTopKeys =
    "merge_method, base_model, models, slices, parameters, dtype, out_dtype, tokenizer_source";

// Where errors point: "<file>:<line>".
struct Source {
  std::string file;
  fs::path folder;

  std::string at(const YAML::Mark& mark) const { return fmt::format("{}:{}", file, mark.line + 1); }
};

std::string shown(const YAML::Node& node) {
  if (node.IsScalar()) return fmt::format("\"{}\"", node.Scalar());
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "nothing";
}

// Refuses keys of `map` outside `allowed`; `unsupported` are mergekit keys retune lacks.
void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                std::initializer_list<std::string_view> unsupported, std::string_view what,
                const Source& source) {
  std::string list;
  for (std::string_view key : allowed) list += (list.empty() ? "" : ", ") + std::string(key);
  for (const auto& entry : map) {
    const std::string key = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const bool known = std::find(unsupported.begin(), unsupported.end(), key) != unsupported.end();
    fail("{}: {} '{}' {}; supported: {}", source.at(entry.first.Mark()), what, key,
         known ? "is a mergekit key retune does not support" : "is unknown", list);
  }
}

std::string scalar_text(const YAML::Node& node, std::string_view key, const Source& source) {
  if (!node.IsScalar()) {
    fail("{}: {} must be a string, got {}", source.at(node.Mark()), key, shown(node));
  }
  return node.Scalar();
}

ModelReference model_reference(const YAML::Node& node, std::string_view key, const Source& source) {
  ModelReference ref = parse_model_reference(scalar_text(node, key, source), source.folder,
                                             fmt::format("{}: {}", source.at(node.Mark()), key));
  ref.line = node.Mark().line + 1;
  return ref;
}

std::optional<DType> dtype_of(const YAML::Node& node, std::string_view key, const Source& source) {
  std::string name = scalar_text(node, key, source);
  if (name.starts_with("torch.")) name = name.substr(6);
  if (name == "float32") return DType::f32;
  if (name == "bfloat16") return DType::bf16;
  if (name == "float16") return DType::f16;
  fail("{}: {} \"{}\" is not supported; supported: float32, bfloat16, float16",
       source.at(node.Mark()), key, name);
}

Scalar untyped(const YAML::Node& node, std::string_view name, const Source& source) {
  if (!node.IsScalar()) {
    fail("{}: parameter {}: expected a value, got {}", source.at(node.Mark()), name, shown(node));
  }
  Scalar s;
  s.text = node.Scalar();
  // Quoted YAML strings stay text for text parameters only.
  return s;
}

std::vector<Scalar> scalar_or_list(const YAML::Node& node, std::string_view name,
                                   const Source& source) {
  std::vector<Scalar> out;
  if (node.IsSequence()) {
    for (const YAML::Node& element : node) out.push_back(untyped(element, name, source));
  } else {
    out.push_back(untyped(node, name, source));
  }
  return out;
}

ParameterSetting::Condition condition(const YAML::Node& node, std::string_view name,
                                      const Source& source) {
  check_keys(node, {"filter", "value"}, {}, fmt::format("parameter {} condition key", name),
             source);
  RETUNE_CHECK(node["value"], "{}: parameter {}: a condition needs a value", source.at(node.Mark()),
               name);
  ParameterSetting::Condition out;
  if (node["filter"] && !node["filter"].IsNull()) {
    out.filter = scalar_text(node["filter"], "filter", source);
  }
  out.value = scalar_or_list(node["value"], name, source);
  return out;
}

ParameterSetting setting(const YAML::Node& node, std::string_view name, const Source& source) {
  ParameterSetting out;
  out.line = node.Mark().line + 1;
  if (node.IsMap()) {
    out.conditional = true;
    out.conditions.push_back(condition(node, name, source));
  } else if (node.IsSequence() && node.size() > 0 && node[0].IsMap()) {
    out.conditional = true;
    for (const YAML::Node& element : node) {
      if (!element.IsMap()) {
        fail("{}: parameter {}: a list of conditions holds only {{filter, value}} maps",
             source.at(element.Mark()), name);
      }
      out.conditions.push_back(condition(element, name, source));
    }
  } else if (node.IsScalar() || node.IsSequence()) {
    out.values = scalar_or_list(node, name, source);
  } else {
    fail("{}: parameter {} has no value", source.at(node.Mark()), name);
  }
  return out;
}

// Types every scalar of `s` as `spec` says and checks its range.
void type_setting(ParameterSetting& s, const ParameterSpec& spec, const Source& source) {
  const std::string where = fmt::format("{}:{}", source.file, s.line);
  for (Scalar* scalar : setting_scalars(s)) {
    switch (spec.type) {
      case ParameterType::number: {
        double value = 0;
        try {
          value = YAML::Node(scalar->text).as<double>();
        } catch (const YAML::Exception&) {
          fail("{}: parameter {} must be a number, got \"{}\"", where, spec.name, scalar->text);
        }
        RETUNE_CHECK(std::isfinite(value), "{}: parameter {} must be finite, got {}", where,
                     spec.name, scalar->text);
        *scalar = Scalar::of_number(value);
        break;
      }
      case ParameterType::boolean: {
        bool value = false;
        try {
          value = YAML::Node(scalar->text).as<bool>();
        } catch (const YAML::Exception&) {
          fail("{}: parameter {} must be true or false, got \"{}\"", where, spec.name,
               scalar->text);
        }
        *scalar = Scalar::of_boolean(value);
        break;
      }
      case ParameterType::text: {
        if (std::find(spec.choices.begin(), spec.choices.end(), scalar->text) ==
            spec.choices.end()) {
          std::string list;
          for (const std::string& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
          fail("{}: parameter {} \"{}\" is not one of {}", where, spec.name, scalar->text, list);
        }
        *scalar = Scalar::of_text(scalar->text);
        break;
      }
    }
    const double x = scalar->number;
    if (spec.name == "density") {
      RETUNE_CHECK(x > 0 && x <= 1, "{}: density {} is outside (0, 1]", where, scalar->text);
    } else if (spec.name == "gamma") {
      RETUNE_CHECK(x >= 0 && x < 1, "{}: gamma {} is outside [0, 1)", where, scalar->text);
    } else if (spec.name == "epsilon") {
      RETUNE_CHECK(x >= 0 && x < 1, "{}: epsilon {} is outside [0, 1)", where, scalar->text);
    } else if (spec.name == "seed") {
      RETUNE_CHECK(x >= 0 && x == std::floor(x) && x < 0x1p63,
                   "{}: seed {} must be a whole number >= 0", where, scalar->text);
    }
  }
}

Parameters parameters(const YAML::Node& node, const MethodSpec& method, const Source& source) {
  Parameters out;
  if (!node || node.IsNull()) return out;
  if (!node.IsMap()) {
    fail("{}: parameters must be a map, got {}", source.at(node.Mark()), shown(node));
  }
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    const ParameterSpec* spec = method.parameter(name);
    if (spec == nullptr) {
      fail("{}: {} takes no parameter '{}'; its parameters: {}", source.at(entry.first.Mark()),
           method.name, name, parameter_list(method));
    }
    ParameterSetting s = setting(entry.second, name, source);
    s.line = entry.first.Mark().line + 1;
    type_setting(s, *spec, source);
    out.emplace_back(name, std::move(s));
  }
  return out;
}

const YAML::Node list_node(const YAML::Node& node, std::string_view key, const Source& source) {
  if (!node.IsSequence() || node.size() == 0) {
    fail("{}: {} must be a non-empty list, got {}", source.at(node.Mark()), key, shown(node));
  }
  return node;
}

SliceSource slice_source(const YAML::Node& node, const MethodSpec& method, bool from_models,
                         const Source& source) {
  if (!node.IsMap()) {
    fail("{}: {} entries are maps with a model, got {}", source.at(node.Mark()),
         from_models ? "models" : "sources", shown(node));
  }
  if (from_models) {
    check_keys(node, {"model", "parameters"}, {}, "models key", source);
  } else {
    check_keys(node, {"model", "layer_range", "parameters"}, {}, "sources key", source);
  }
  RETUNE_CHECK(node["model"], "{}: entry without a model", source.at(node.Mark()));
  SliceSource out;
  out.model = model_reference(node["model"], "model", source);
  out.parameters = parameters(node["parameters"], method, source);
  if (from_models) {
    out.whole_model = true;
    return out;
  }
  const YAML::Node range = node["layer_range"];
  RETUNE_CHECK(range, "{}: a slice source needs a layer_range [begin, end]",
               source.at(node.Mark()));
  try {
    RETUNE_CHECK(range.IsSequence() && range.size() == 2, "");
    out.layer_begin = range[0].as<int64_t>();
    out.layer_end = range[1].as<int64_t>();
  } catch (const std::exception&) {
    fail("{}: layer_range must be two whole numbers [begin, end], got {}", source.at(range.Mark()),
         shown(range));
  }
  RETUNE_CHECK(out.layer_begin >= 0 && out.layer_begin < out.layer_end,
               "{}: layer_range [{}, {}] must have 0 <= begin < end", source.at(range.Mark()),
               out.layer_begin, out.layer_end);
  return out;
}

OutputSlice output_slice(const YAML::Node& node, const MethodSpec& method, const Source& source) {
  if (!node.IsMap()) {
    fail("{}: slices entries are maps with sources, got {}", source.at(node.Mark()), shown(node));
  }
  check_keys(node, {"sources", "base_model", "parameters"}, {"residual_weight"}, "slice key",
             source);
  OutputSlice out;
  out.line = node.Mark().line + 1;
  RETUNE_CHECK(node["sources"], "{}: a slice needs sources", source.at(node.Mark()));
  for (const YAML::Node& s : list_node(node["sources"], "sources", source)) {
    out.sources.push_back(slice_source(s, method, false, source));
  }
  if (node["base_model"])
    out.base_model = model_reference(node["base_model"], "base_model", source);
  out.parameters = parameters(node["parameters"], method, source);
  const int64_t layers = out.sources[0].layer_end - out.sources[0].layer_begin;
  for (const SliceSource& s : out.sources) {
    RETUNE_CHECK(s.layer_end - s.layer_begin == layers,
                 "{}: every source of a slice must span the same number of layers ({} has {}, "
                 "{} has {})",
                 source.at(node.Mark()), out.sources[0].model.text, layers, s.model.text,
                 s.layer_end - s.layer_begin);
  }
  return out;
}

}  // namespace

ModelReference parse_model_reference(const std::string& text, const fs::path& folder,
                                     const std::string& where) {
  ModelReference ref;
  ref.text = text;
  RETUNE_CHECK(!text.empty(), "{} is empty", where);
  RETUNE_CHECK(text.find('@') == std::string::npos,
               "{} \"{}\": revisions (@) are for hub models; retune reads local folders", where,
               text);
  const size_t plus = text.find('+');
  RETUNE_CHECK(plus == std::string::npos || text.find('+', plus + 1) == std::string::npos,
               "{} \"{}\": one '+' at most (model+adapter)", where, text);
  const auto resolve = [&](const std::string& path) {
    const fs::path p(path);
    return (p.is_absolute() ? p : folder / p).lexically_normal();
  };
  ref.model = resolve(text.substr(0, plus));
  if (plus != std::string::npos) ref.adapter = resolve(text.substr(plus + 1));
  return ref;
}

std::string torch_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::bf16:
      return "bfloat16";
    case DType::f16:
      return "float16";
    default:
      return "float32";
  }
}

const ParameterSetting* find_setting(const Parameters& parameters, const std::string& name) {
  for (const auto& [key, value] : parameters) {
    if (key == name) return &value;
  }
  return nullptr;
}

MergeConfig parse_merge_config(const std::string& text, const fs::path& file) {
  const Source source{file.string(), file.parent_path()};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    fail("{}: invalid YAML: {}", source.at(error.mark), error.msg);
  }
  RETUNE_CHECK(root.IsMap(),
               "{}: a merge config is a YAML map with merge_method and models or "
               "slices",
               file.string());
  check_keys(root,
             {"merge_method", "base_model", "models", "slices", "parameters", "dtype", "out_dtype",
              "tokenizer_source"},
             {"modules", "tokenizer", "chat_template"}, "key", source);
  (void)kTopKeys;

  MergeConfig config;
  config.file = file;
  config.text = text;
  RETUNE_CHECK(root["merge_method"], "{}: merge_method is missing; supported: {}", file.string(),
               method_list());
  const std::string method = scalar_text(root["merge_method"], "merge_method", source);
  config.method = find_method(method);
  if (config.method == nullptr) {
    fail("{}: merge_method \"{}\" is not supported; supported: {}",
         source.at(root["merge_method"].Mark()), method, method_list());
  }
  if (root["base_model"] && !root["base_model"].IsNull()) {
    config.base_model = model_reference(root["base_model"], "base_model", source);
  }
  config.parameters = parameters(root["parameters"], *config.method, source);
  if (root["dtype"] && !root["dtype"].IsNull())
    config.dtype = dtype_of(root["dtype"], "dtype", source);
  if (root["out_dtype"] && !root["out_dtype"].IsNull()) {
    config.out_dtype = dtype_of(root["out_dtype"], "out_dtype", source);
  }
  if (root["tokenizer_source"] && !root["tokenizer_source"].IsNull()) {
    const std::string value = scalar_text(root["tokenizer_source"], "tokenizer_source", source);
    RETUNE_CHECK(value == "base",
                 "{}: tokenizer_source \"{}\" is not supported; supported: base (or leave it out: "
                 "the base model's tokenizer files are copied)",
                 source.at(root["tokenizer_source"].Mark()), value);
    config.tokenizer_source_base = true;
  }

  const bool has_models = root["models"] && !root["models"].IsNull();
  const bool has_slices = root["slices"] && !root["slices"].IsNull();
  RETUNE_CHECK(has_models != has_slices, "{}: exactly one of models and slices must be given",
               file.string());
  if (has_models) {
    config.from_models = true;
    OutputSlice slice;
    slice.line = root["models"].Mark().line + 1;
    for (const YAML::Node& m : list_node(root["models"], "models", source)) {
      slice.sources.push_back(slice_source(m, *config.method, true, source));
    }
    // The base joins the inputs when it is not one of the models (mergekit's normalize_config).
    if (config.base_model &&
        std::none_of(slice.sources.begin(), slice.sources.end(),
                     [&](const SliceSource& s) { return s.model.same_as(*config.base_model); })) {
      SliceSource base;
      base.model = *config.base_model;
      base.whole_model = true;
      slice.sources.push_back(base);
    }
    config.slices.push_back(std::move(slice));
  } else {
    for (const YAML::Node& s : list_node(root["slices"], "slices", source)) {
      config.slices.push_back(output_slice(s, *config.method, source));
    }
  }
  return config;
}

MergeConfig read_merge_config(const fs::path& file) {
  return parse_merge_config(read_text_file(file), file);
}

}  // namespace retune::merge
