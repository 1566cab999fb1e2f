// `retune inspect MODEL_DIR [--json]`: what a Hugging Face model folder holds — the
// architecture and sizes from config.json, the parameter count, weight dtypes and shard files
// from the safetensors headers (no weight is read), the kind of tokenizer its tokenizer.json
// describes and whether it has a chat template. Human-readable lines by default; with --json
// one JSON object on one line. A folder retune cannot load fails with the library's error.
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "io/file_contents.h"
#include "io/safetensors_model.h"
#include "model/model_config.h"

namespace retune::cli {

namespace {

using Json = nlohmann::json;

struct InspectOptions {
  std::string folder;
  bool json = false;
};

// What inspect reports about one model folder.
struct ModelSummary {
  model::ModelConfig config;
  int64_t parameters = 0;                 // elements over every safetensors tensor
  std::map<std::string, int64_t> dtypes;  // dtype name -> number of tensors
  size_t shard_files = 0;
  std::string tokenizer = "none";  // see tokenizer_kind()
  bool chat_template = false;
};

std::string rope_type_name(model::RopeType type) {
  switch (type) {
    case model::RopeType::default_:
      return "default";
    case model::RopeType::llama3:
      return "llama3";
  }
  fail("unknown rope type {}", static_cast<int>(type));
}

// Whether a tokenizer.json component, or one nested in it (a Sequence), has this type.
bool has_component(const Json& node, const std::string& type) {
  if (node.is_object()) {
    const auto found = node.find("type");
    if (found != node.end() && found->is_string() && *found == type) return true;
  }
  if (!node.is_structured()) return false;
  for (const Json& child : node) {
    if (has_component(child, type)) return true;
  }
  return false;
}

// The kind of tokenizer folder/tokenizer.json describes: "byte-level BPE" (GPT-2, Llama 3,
// Qwen2), "BPE with byte fallback" (SentencePiece style, Llama 2), else its model type as the
// file writes it; "none" without the file. It names the kind only: whether retune can load
// the tokenizer is Tokenizer::load's to say.
std::string tokenizer_kind(const std::filesystem::path& folder) {
  const std::filesystem::path path = folder / "tokenizer.json";
  if (!std::filesystem::exists(path)) return "none";
  const Json tokenizer = read_json_file(path);
  const Json model = tokenizer.value("model", Json::object());
  const std::string type =
      model.is_object() ? model.value("type", std::string("unknown")) : std::string("unknown");
  if (type != "BPE") return type;
  if (has_component(tokenizer.value("pre_tokenizer", Json()), "ByteLevel")) {
    return "byte-level BPE";
  }
  if (model.value("byte_fallback", false)) return "BPE with byte fallback";
  return type;
}

// Whether the folder has a chat template: tokenizer_config.json's chat_template, or the
// chat_template.jinja file newer transformers versions write beside it.
bool has_chat_template(const std::filesystem::path& folder) {
  if (std::filesystem::exists(folder / "chat_template.jinja")) return true;
  const std::filesystem::path path = folder / "tokenizer_config.json";
  if (!std::filesystem::exists(path)) return false;
  const Json config = read_json_file(path);
  const auto found = config.find("chat_template");
  return found != config.end() && !found->is_null();
}

ModelSummary summarize(const std::filesystem::path& folder) {
  ModelSummary summary;
  // The weights first: a folder with only PyTorch files gets the hint to convert.
  const SafetensorsModel weights = SafetensorsModel::open(folder);
  summary.config = model::load_model_config(folder);
  for (const std::string& name : weights.names()) {
    const SafetensorsTensorInfo& info = weights.info(name);
    summary.parameters += info.shape.numel();
    ++summary.dtypes[std::string(dtype_name(info.dtype))];
  }
  summary.shard_files = weights.shards().size();
  summary.tokenizer = tokenizer_kind(folder);
  summary.chat_template = has_chat_template(folder);
  return summary;
}

// GPT-2 learns its position embeddings; the Llama family rotates q and k.
bool uses_rope(const model::ModelConfig& config) {
  return config.architecture != model::Architecture::gpt2;
}

Json to_json(const ModelSummary& summary) {
  const model::ModelConfig& config = summary.config;
  return Json{
      {"architecture", model::architecture_name(config.architecture)},
      {"num_hidden_layers", config.num_hidden_layers},
      {"hidden_size", config.hidden_size},
      {"num_attention_heads", config.num_attention_heads},
      {"num_key_value_heads", config.num_key_value_heads},
      {"head_dim", config.head_dim},
      {"intermediate_size", config.intermediate_size},
      {"vocab_size", config.vocab_size},
      {"tie_word_embeddings", config.tie_word_embeddings},
      {"rope", uses_rope(config)
                   ? Json{{"theta", config.rope.theta}, {"type", rope_type_name(config.rope.type)}}
                   : Json(nullptr)},
      {"parameters", summary.parameters},
      {"dtypes", summary.dtypes},
      {"shard_files", summary.shard_files},
      {"tokenizer", summary.tokenizer},
      {"chat_template", summary.chat_template ? "present" : "none"},
  };
}

void print_text(const ModelSummary& summary) {
  const model::ModelConfig& config = summary.config;
  std::string dtypes;
  for (const auto& [dtype, count] : summary.dtypes) {
    dtypes += fmt::format("{}{} ({} tensors)", dtypes.empty() ? "" : ", ", dtype, count);
  }
  fmt::print("architecture       {}\n", model::architecture_name(config.architecture));
  fmt::print("layers             {}\n", config.num_hidden_layers);
  fmt::print("hidden size        {}\n", config.hidden_size);
  fmt::print("heads              {} (KV heads {})\n", config.num_attention_heads,
             config.num_key_value_heads);
  fmt::print("head dim           {}\n", config.head_dim);
  fmt::print("intermediate size  {}\n", config.intermediate_size);
  fmt::print("vocab size         {}\n", config.vocab_size);
  fmt::print("tied head          {}\n", config.tie_word_embeddings ? "yes" : "no");
  if (uses_rope(config)) {
    fmt::print("rope               theta {}, type {}\n", config.rope.theta,
               rope_type_name(config.rope.type));
  } else {
    fmt::print("positions          learned, up to {}\n", config.max_position_embeddings);
  }
  fmt::print("parameters         {}\n", summary.parameters);
  fmt::print("weight dtypes      {}\n", dtypes.empty() ? "none" : dtypes);
  fmt::print("shard files        {}\n", summary.shard_files);
  fmt::print("tokenizer          {}\n", summary.tokenizer);
  fmt::print("chat template      {}\n", summary.chat_template ? "present" : "none");
}

int run_inspect(const InspectOptions& options) {
  const ModelSummary summary = summarize(options.folder);
  if (options.json) {
    fmt::print("{}\n", to_json(summary).dump());
  } else {
    print_text(summary);
  }
  return 0;
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* command = app.add_subcommand(
      "inspect", "describe a Hugging Face model folder: architecture, sizes, weights, tokenizer");
  command->add_option("MODEL_DIR", options->folder, "the model folder")->required();
  command->add_flag("--json", options->json, "print one JSON object");
  return {command, [options] { return run_inspect(*options); }};
}

}  // namespace retune::cli
