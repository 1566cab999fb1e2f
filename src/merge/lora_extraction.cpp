#include "merge/lora_extraction.h"

#include <omp.h>

#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <span>

#include "adapters/lora_config.h"
#include "core/error.h"
#include "core/tensor.h"
#include "io/atomic_file.h"
#include "io/atomic_folder.h"
#include "io/file_contents.h"
#include "io/safetensors_model.h"
#include "io/safetensors_writer.h"
#include "linalg/svd.h"
#include "merge/tensor_layout.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;

std::string architecture_of(const fs::path& folder) {
  const nlohmann::json config = read_json_file(folder / "config.json");
  if (config.contains("architectures") && config["architectures"].is_array() &&
      !config["architectures"].empty()) {
    return config["architectures"][0].get<std::string>();
  }
  return config.value("model_type", "");
}

std::string module_of(const std::string& weight) {
  return weight.substr(0, weight.rfind('.'));
}

struct Module {
  std::string name;  // "model.layers.0.self_attn.q_proj"
  std::string weight;
  bool conv1d = false;
  Tensor a, b;  // results
  int64_t rank = 0;
};

// ΔW [out, in] f32 of a module.
Tensor task_vector(const SafetensorsModel& base, const SafetensorsModel& tuned, const Module& m) {
  const Tensor w0 = base.tensor(m.weight);
  std::vector<float> d = tuned.tensor(m.weight).to_f32_vector();
  const std::vector<float> b = w0.to_f32_vector();
  for (size_t i = 0; i < d.size(); ++i) d[i] -= b[i];
  const Tensor delta = Tensor::from_vector<float>(w0.shape(), DType::f32, d);
  return m.conv1d ? delta.transpose(0, 1).contiguous() : delta;
}

void decompose(const SafetensorsModel& base, const SafetensorsModel& tuned, Module& m,
               const LoraExtractionOptions& options) {
  const linalg::Svd svd = linalg::thin_svd(task_vector(base, tuned, m));
  const int64_t out = svd.u.size(0);
  const int64_t in = svd.vt.size(1);
  const int64_t k = svd.s.size(0);
  const float* s = svd.s.data<float>();
  int64_t rank = std::min(options.rank, k);
  if (options.sv_epsilon > 0) {
    int64_t above = 0;
    for (int64_t i = 0; i < k; ++i) above += s[i] > options.sv_epsilon;
    rank = std::max<int64_t>(1, std::min(rank, above));
  }
  std::vector<float> a(static_cast<size_t>(rank * in));
  std::vector<float> b(static_cast<size_t>(out * rank));
  const float* u = svd.u.data<float>();
  const float* vt = svd.vt.data<float>();
  for (int64_t r = 0; r < rank; ++r) {
    const float root = std::sqrt(std::max(s[r], 0.0f));
    for (int64_t j = 0; j < in; ++j) a[static_cast<size_t>(r * in + j)] = root * vt[r * in + j];
    for (int64_t i = 0; i < out; ++i) b[static_cast<size_t>(i * rank + r)] = u[i * k + r] * root;
  }
  m.a = Tensor::from_vector<float>({rank, in}, DType::f32, a);
  m.b = Tensor::from_vector<float>({out, rank}, DType::f32, b);
  m.rank = rank;
}

bool differs(const SafetensorsModel& base, const SafetensorsModel& tuned, const std::string& name) {
  return base.tensor(name).to_f32_vector() != tuned.tensor(name).to_f32_vector();
}

}  // namespace

LoraExtraction extract_lora(const fs::path& base_folder, const fs::path& tuned_folder,
                            const fs::path& out, const LoraExtractionOptions& options) {
  RETUNE_CHECK(options.rank >= 1, "--rank must be >= 1, got {}", options.rank);
  RETUNE_CHECK(fs::is_directory(base_folder), "{}: model folder not found", base_folder.string());
  RETUNE_CHECK(fs::is_directory(tuned_folder), "{}: model folder not found", tuned_folder.string());
  const std::string architecture = architecture_of(base_folder);
  RETUNE_CHECK(architecture_of(tuned_folder) == architecture,
               "{}: architecture {}, but the base {} is {}",
               (tuned_folder / "config.json").string(), architecture_of(tuned_folder),
               base_folder.string(), architecture);
  const SafetensorsModel base = SafetensorsModel::open(base_folder);
  const SafetensorsModel tuned = SafetensorsModel::open(tuned_folder);
  for (const std::string& name : base.names()) {
    RETUNE_CHECK(tuned.has(name), "{}: no tensor {}, which the base {} has", tuned_folder.string(),
                 name, base_folder.string());
    RETUNE_CHECK(tuned.info(name).shape == base.info(name).shape,
                 "{}: tensor {} has shape {} but the base {} has {}", tuned_folder.string(), name,
                 tuned.info(name).shape.str(), base_folder.string(), base.info(name).shape.str());
  }
  const bool conv1d = architecture == "GPT2LMHeadModel";
  std::vector<Module> modules;
  std::vector<std::string> saved_modules;
  for (const std::string& name : base.names()) {
    const TensorSlot slot = tensor_slot(name);
    const bool projection = slot.part == TensorSlot::Part::layer && name.ends_with(".weight") &&
                            base.info(name).shape.rank() == 2;
    const std::string module = module_of(name);
    if (projection) {
      const std::string bias = module + ".bias";
      if (base.has(bias) && differs(base, tuned, bias)) {
        saved_modules.push_back(module);
      } else {
        modules.push_back({module, name, conv1d, {}, {}, 0});
      }
    } else if (differs(base, tuned, name) &&
               (saved_modules.empty() || saved_modules.back() != module)) {
      saved_modules.push_back(module);
    }
  }
  // Drop a bias's module already saved through its weight (or the reverse): unique, in order.
  std::vector<std::string> unique;
  for (const std::string& m : saved_modules) {
    if (std::find(unique.begin(), unique.end(), m) == unique.end()) unique.push_back(m);
  }
  saved_modules = unique;

  std::mutex mutex;
  std::exception_ptr error;
  const auto count = static_cast<int64_t>(modules.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < count; ++i) {
    try {
      decompose(base, tuned, modules[static_cast<size_t>(i)], options);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);

  LoraExtraction result;
  result.modules = modules.size();
  result.saved = saved_modules;
  for (const Module& m : modules) result.max_rank = std::max(result.max_rank, m.rank);
  adapters::LoraConfig config;
  config.r = std::max<int64_t>(result.max_rank, 1);
  config.lora_alpha = static_cast<double>(config.r);
  config.target_modules.form = adapters::ModuleSelector::Form::names;
  NamedTensors tensors;
  for (const Module& m : modules) {
    config.target_modules.names.push_back(m.name);
    if (m.rank != config.r) {
      config.rank_pattern.emplace_back(m.name, m.rank);
      config.alpha_pattern.emplace_back(m.name, static_cast<double>(m.rank));
    }
    tensors.emplace_back("base_model.model." + m.name + ".lora_A.weight", m.a);
    tensors.emplace_back("base_model.model." + m.name + ".lora_B.weight", m.b);
  }
  config.modules_to_save = saved_modules;
  for (const std::string& module : saved_modules) {
    for (const char* suffix : {".weight", ".bias"}) {
      const std::string name = module + suffix;
      if (tuned.has(name)) {
        tensors.emplace_back("base_model.model." + name, tuned.tensor(name).to(DType::f32));
      }
    }
  }
  AtomicFolder folder(out);
  write_safetensors(folder / "adapter_model.safetensors", tensors, {{"format", "pt"}});
  const std::string text =
      adapters::peft_adapter_config(config, base_folder.string()).dump(2, ' ', true);
  AtomicFile file(folder / "adapter_config.json");
  file.write(std::as_bytes(std::span(text)));
  file.commit();
  folder.commit();
  return result;
}

}  // namespace retune::merge
