#include "adapters/sparse_diff.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/atomic_folder.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "model/trainable_weights.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kConfigFile = "sparse_config.json";
constexpr const char* kWeightsFile = "sparse_diff.safetensors";
constexpr const char* kFormat = "retune-sparse-diff";

std::vector<int64_t> dims_of(const Shape& shape) {
  std::vector<int64_t> dims;
  for (int d = 0; d < shape.rank(); ++d) dims.push_back(shape[d]);
  return dims;
}

}  // namespace

void save_sparse_diff(const std::vector<SparseEntries>& diff, const std::string& method,
                      const std::string& base_model_name_or_path, const fs::path& folder) {
  AtomicFolder out(folder);
  NamedTensors tensors;
  json weights = json::object();
  int64_t entries = 0;
  for (const SparseEntries& entry : diff) {
    tensors.emplace_back(entry.weight + ".indices", entry.indices);
    tensors.emplace_back(entry.weight + ".values", entry.values);
    weights[entry.weight] = dims_of(entry.shape);
    entries += entry.indices.numel();
  }
  write_safetensors(out / kWeightsFile, tensors, {{"format", "pt"}});
  const std::string config =
      json{{"format", kFormat},  {"version", 1},
           {"method", method},   {"base_model_name_or_path", base_model_name_or_path},
           {"entries", entries}, {"weights", weights}}
          .dump(2) +
      "\n";
  AtomicFile file(out / kConfigFile);
  file.write(std::as_bytes(std::span(config)));
  file.commit();
  out.commit();
}

bool is_sparse_diff(const fs::path& folder) {
  return fs::exists(folder / kConfigFile);
}

int64_t apply_sparse_diff(model::CausalLm& model, const fs::path& folder) {
  const fs::path config_path = folder / kConfigFile;
  const fs::path weights_path = folder / kWeightsFile;
  const json config = read_json_file(config_path);
  RETUNE_CHECK(config.is_object() && config.value("format", "") == kFormat &&
                   config.value("version", 0) == 1 && config.contains("weights") &&
                   config["weights"].is_object(),
               "{}: not a retune sparse difference (expected \"format\": \"{}\", \"version\": 1 "
               "and a \"weights\" object)",
               config_path.string(), kFormat);
  std::map<std::string, Tensor> weights;
  for (const auto& [name, weight] : model::named_weights(model)) weights.emplace(name, weight);
  const SafetensorsFile file = SafetensorsFile::open(weights_path);
  struct Update {
    std::string weight;
    Tensor indices, values;
  };
  std::vector<Update> updates;
  int64_t entries = 0;
  for (const auto& [name, shape] : config["weights"].items()) {
    const auto found = weights.find(name);
    RETUNE_CHECK(found != weights.end(), "{}: weight \"{}\": the model has no such weight",
                 config_path.string(), name);
    const bool integers =
        shape.is_array() && std::all_of(shape.begin(), shape.end(),
                                        [](const json& d) { return d.is_number_integer(); });
    RETUNE_CHECK(integers && shape.get<std::vector<int64_t>>() == dims_of(found->second.shape()),
                 "{}: weight \"{}\" has shape {} in the model, the difference says {}",
                 config_path.string(), name, found->second.shape().str(), shape.dump());
    for (const char* part : {".indices", ".values"}) {
      RETUNE_CHECK(file.has(name + part), "{}: missing tensor \"{}{}\"", weights_path.string(),
                   name, part);
    }
    const Tensor indices = file.tensor(name + ".indices");
    const Tensor values = file.tensor(name + ".values");
    RETUNE_CHECK(indices.dtype() == DType::i64 && indices.rank() == 1 &&
                     dtype_is_float(values.dtype()) && values.shape() == indices.shape(),
                 "{}: \"{}.indices\" must be i64 [k] and \"{}.values\" a float [k], got {} and {}",
                 weights_path.string(), name, name, indices.describe(), values.describe());
    const int64_t numel = found->second.numel();
    for (int64_t i = 0; i < indices.numel(); ++i) {
      const int64_t index = indices.data<int64_t>()[i];
      RETUNE_CHECK(index >= 0 && index < numel,
                   "{}: \"{}.indices\" holds {}, outside the weight's {} entries",
                   weights_path.string(), name, index, numel);
    }
    updates.push_back({name, indices, values.to(DType::f32).contiguous()});
    entries += indices.numel();
  }
  for (const Update& update : updates) {
    Tensor weight = weights.at(update.weight).to(DType::f32).clone();
    float* w = weight.mutable_data<float>();
    const int64_t* index = update.indices.data<int64_t>();
    const float* value = update.values.data<float>();
    for (int64_t i = 0; i < update.indices.numel(); ++i) w[index[i]] += value[i];
    model::set_weight(model, update.weight, std::move(weight));
  }
  return entries;
}

}  // namespace retune::adapters
