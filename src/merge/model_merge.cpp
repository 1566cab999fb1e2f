#include "merge/model_merge.h"

#include <omp.h>

#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <system_error>

#include "core/error.h"
#include "core/tensor.h"
#include "io/atomic_file.h"
#include "io/atomic_folder.h"
#include "io/file_contents.h"
#include "merge/merge_plan.h"
#include "merge/model_threshold.h"
#include "merge/shard_writer.h"
#include "merge/tensor_merge.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;

bool is_weight_file(const std::string& name) {
  return name.ends_with(".safetensors") || name == "model.safetensors.index.json" ||
         name.ends_with(".bin") || name.ends_with(".pt") || name.ends_with(".bin.index.json");
}

void write_text(const fs::path& path, const std::string& text) {
  AtomicFile file(path);
  file.write(std::as_bytes(std::span(text)));
  file.commit();
}

// The donor's files other than weights, with config.json patched.
void copy_model_files(const MergeConfig& config, const MergePlan& plan, const AtomicFolder& out) {
  const fs::path donor = plan.models[plan.donor]->folder();
  for (const fs::directory_entry& entry : fs::directory_iterator(donor)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || is_weight_file(name) || name == "config.json" ||
        name == "mergekit_config.yml") {
      continue;
    }
    std::error_code error;
    fs::copy_file(entry.path(), out / name, error);
    if (error) fail("{}: cannot copy: {}", entry.path().string(), error.message());
  }
  nlohmann::json model_config = read_json_file(donor / "config.json");
  for (const char* key : {"num_hidden_layers", "n_layer"}) {
    if (model_config.contains(key)) {
      model_config[key] = plan.num_layers;
      break;
    }
  }
  const std::optional<DType> dtype = config.out_dtype ? config.out_dtype : config.dtype;
  if (dtype) {
    const bool old_key = model_config.contains("torch_dtype") || !model_config.contains("dtype");
    model_config[old_key ? "torch_dtype" : "dtype"] = torch_dtype_name(*dtype);
  }
  write_text(out / "config.json", model_config.dump(2) + "\n");
  write_text(out / "mergekit_config.yml", config.text);
}

// Reads, merges and writes tensor i of the plan.
void merge_one(const MergePlan& plan, size_t i, const ModelThresholds& thresholds,
               ShardWriter& writer) {
  const PlannedTensor& planned = plan.tensors[i];
  TensorGroup group;
  group.name = planned.name;
  group.shape = planned.shape;
  group.base = planned.base;
  group.parameters = planned.parameters;
  group.seed = planned.seed;
  for (const PlannedInput& input : planned.inputs) {
    const InputModel& model = *plan.models[input.model];
    group.inputs.push_back(model.read(input.tensor, plan.dtype));
    group.input_labels.push_back(model.label());
  }
  std::vector<float> merged = merge_tensor(*plan.method, group, thresholds);
  group.inputs.clear();
  switch (planned.out_dtype) {
    case DType::bf16:
    case DType::f16: {
      std::vector<uint16_t> half(merged.size());
      if (planned.out_dtype == DType::bf16) {
        convert_f32_to_bf16(merged.data(), half.data(), merged.size());
      } else {
        convert_f32_to_f16(merged.data(), half.data(), merged.size());
      }
      merged = {};
      writer.write(i, half.data(), half.size() * sizeof(uint16_t));
      break;
    }
    default:
      writer.write(i, merged.data(), merged.size() * sizeof(float));
  }
}

}  // namespace

MergeSummary run_merge(const MergeConfig& config, const fs::path& out_folder,
                       const MergeOptions& options) {
  const MergePlan plan = plan_merge(config, options.seed);
  for (const std::string& warning : plan.warnings) {
    if (options.on_warning) options.on_warning(warning);
  }
  const ModelThresholds thresholds = model_thresholds(plan);

  AtomicFolder folder(out_folder);
  std::vector<ShardTensor> layout;
  uint64_t total_bytes = 0;
  for (const PlannedTensor& t : plan.tensors) {
    layout.push_back({t.name, t.out_dtype, t.shape});
    total_bytes += t.out_bytes();
  }
  ShardWriter writer(folder.temp_path(), layout, options.max_shard_bytes, {{"format", "pt"}});

  std::mutex mutex;
  std::exception_ptr error;
  size_t done = 0;
  uint64_t bytes_done = 0;
  const auto count = static_cast<int64_t>(plan.tensors.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < count; ++i) {
    {
      const std::lock_guard<std::mutex> lock(mutex);
      if (error) continue;
    }
    try {
      merge_one(plan, static_cast<size_t>(i), thresholds, writer);
      const std::lock_guard<std::mutex> lock(mutex);
      ++done;
      bytes_done += plan.tensors[static_cast<size_t>(i)].out_bytes();
      if (options.on_progress)
        options.on_progress(done, plan.tensors.size(), bytes_done, total_bytes);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  writer.finish();
  copy_model_files(config, plan, folder);
  folder.commit();
  return {plan.tensors.size(), plan.num_layers, total_bytes, writer.files()};
}

}  // namespace retune::merge
