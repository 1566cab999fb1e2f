// MergeConfig: a mergekit merge configuration (mergekit/config.py MergeConfiguration), read
// from its YAML file.
//
// Top-level keys: merge_method, base_model, exactly one of models / slices, parameters, dtype,
// out_dtype, tokenizer_source (base or unset; both copy the base's tokenizer files). A model
// is a folder path or `path+adapter_path` (a PEFT LoRA applied to the model before merging),
// relative to the YAML file's folder.
//
//   models:  [{model, parameters}]
//   slices:  [{sources: [{model, layer_range: [begin, end), parameters}], base_model,
//              parameters}]
//
// Parameter precedence for a tensor, highest first (mergekit's ConfigReader): the slice
// source's parameters (the models entry's, for `models:`), the slice's, the global ones.
// Every key retune does not support (mergekit's modules, tokenizer, chat_template,
// residual_weight, tokenizer_source union or a model, ...), an unknown merge method and a
// parameter the method does not take are refused: the error names the file and line and lists
// what is supported. The parameters are typed and checked against the method here (density
// in (0, 1], gamma in [0, 1), epsilon >= 0).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/dtype.h"
#include "merge/merge_method.h"
#include "merge/parameter_setting.h"

namespace retune::merge {

struct ModelReference {
  std::string text;               // as written ("../a+../lora")
  std::filesystem::path model;    // resolved against the config's folder, lexically normal
  std::filesystem::path adapter;  // empty: none
  int line = 0;

  // Same model and adapter.
  bool same_as(const ModelReference& other) const {
    return model == other.model && adapter == other.adapter;
  }
};

// "model" or "model+adapter", each path resolved against `folder` (lexically normal); throws an
// Error starting with `where` ("merge.yaml:3: model", "--model") for an empty text, a hub
// revision ('@') or more than one '+'.
ModelReference parse_model_reference(const std::string& text, const std::filesystem::path& folder,
                                     const std::string& where);

using Parameters = std::vector<std::pair<std::string, ParameterSetting>>;

// A setting of `parameters`, or nullptr.
const ParameterSetting* find_setting(const Parameters& parameters, const std::string& name);

struct SliceSource {
  ModelReference model;
  int64_t layer_begin = 0;  // [begin, end); for `models:`, the model's whole depth
  int64_t layer_end = 0;
  bool whole_model = false;  // from `models:` (the range is filled in once the model is read)
  Parameters parameters;
};

struct OutputSlice {
  std::vector<SliceSource> sources;
  std::optional<ModelReference> base_model;
  Parameters parameters;
  int line = 0;
};

struct MergeConfig {
  std::filesystem::path file;  // the YAML file
  std::string text;            // its contents (copied beside the output)
  const MethodSpec* method = nullptr;
  std::optional<ModelReference> base_model;
  // `models:` becomes one slice whose sources are the models (each over its whole depth) and
  // the base model when it is not one of them (as mergekit's normalize_config does).
  std::vector<OutputSlice> slices;
  bool from_models = false;  // `models:` rather than `slices:`
  Parameters parameters;
  std::optional<DType> dtype;
  std::optional<DType> out_dtype;
  bool tokenizer_source_base = false;
};

// "float32", "bfloat16", "float16": the names configs (and config.json's dtype) give dtypes.
std::string torch_dtype_name(DType dtype);

// Parses the YAML text; `file` names it in errors and its folder anchors relative paths.
MergeConfig parse_merge_config(const std::string& text, const std::filesystem::path& file);
// Reads and parses the file.
MergeConfig read_merge_config(const std::filesystem::path& file);

}  // namespace retune::merge
