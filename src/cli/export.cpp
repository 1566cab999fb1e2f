// `retune export --model DIR --adapter DIR --out DIR`: merges a PEFT adapter (LoRA, DoRA, IA3,
// Poly) or retune's SSF adapter into its base model and writes a Hugging Face model folder that
// transformers loads without PEFT (what PEFT's merge_and_unload followed by save_pretrained gives):
// the base folder's config and tokenizer files, and every weight in the base's dtype with the
// adapted ones merged. Weights the adapter's modules_to_save trained replace the base's; a tied
// head trained so is written as its own lm_head.weight (f32) with tie_word_embeddings false in
// config.json. An SSF adapter may add biases the base lacks, turning on their config flags
// (attention_bias, mlp_bias). A Poly adapter merges for the task --task names (required):
// W + A_t B_t / r with the eval routing of task t. A sparse difference (LT-SFT's sparse_diff/,
// adapters/sparse_diff.h) is added to the base instead.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "adapters/poly_model.h"
#include "adapters/sparse_diff.h"
#include "adapters/trained_adapter.h"
#include "cli/commands.h"
#include "cli/threads_option.h"
#include "core/error.h"
#include "io/model_folder_writer.h"
#include "model/causal_lm.h"
#include "model/model_config.h"
#include "model/trainable_weights.h"

namespace retune::cli {

namespace {

struct ExportOptions {
  std::string model;
  std::string adapter;
  std::string out;
  std::optional<std::string> task;
  std::optional<int> threads;
};

int run_export(const ExportOptions& options) {
  use_threads(options.threads);
  const std::unique_ptr<model::CausalLm> model = model::load_causal_lm(options.model);
  if (adapters::is_sparse_diff(options.adapter)) {
    const int64_t entries = adapters::apply_sparse_diff(*model, options.adapter);
    write_model_folder(options.model, in_base_dtypes(options.model, model::named_weights(*model)),
                       options.out);
    fmt::print("{}: {} added {} entries to {}\n", options.out, options.adapter, entries,
               options.model);
    return 0;
  }
  const std::unique_ptr<adapters::TrainedAdapter> adapter =
      adapters::load_adapter(*model, options.adapter);
  auto* poly = dynamic_cast<adapters::PolyModel*>(adapter.get());
  RETUNE_CHECK(!options.task || poly,
               "--task {}: only a Poly adapter (peft_type \"POLY\") takes a task", *options.task);
  if (poly) {
    RETUNE_CHECK(options.task.has_value(),
                 "{}: a Poly adapter merges into the weights for one task: pass --task ID|NAME",
                 options.adapter);
    poly->route_all(poly->task_id(*options.task, "--task"));
  }
  NamedTensors merged = adapter->merged_weights();
  std::map<std::string, Tensor> by_name(merged.begin(), merged.end());
  NamedTensors weights;
  for (const auto& [name, weight] : model::named_weights(*model)) {
    const auto found = by_name.find(name);
    weights.emplace_back(name, found == by_name.end() ? weight : found->second);
    if (found != by_name.end()) by_name.erase(found);
  }
  // Biases the base lacks, which the config changes call for (SSF's shifts).
  for (const auto& [name, weight] : merged) {
    if (by_name.contains(name)) weights.emplace_back(name, weight);
  }
  nlohmann::json config_changes = adapter->merged_config_changes();
  // A head that modules_to_save trained has its own weight now.
  if (!model->config().tie_word_embeddings &&
      model::load_model_config(options.model).tie_word_embeddings) {
    config_changes["tie_word_embeddings"] = false;
  }
  write_model_folder(options.model, in_base_dtypes(options.model, std::move(weights)), options.out,
                     config_changes);
  fmt::print("{}: {} merged into {} weights of {}\n", options.out, options.adapter, merged.size(),
             options.model);
  return 0;
}

}  // namespace

Command add_export_command(CLI::App& app) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* command = app.add_subcommand(
      "export", "merge an adapter into its base model and write a Hugging Face model folder");
  command->add_option("--model", options->model, "the base model folder")
      ->type_name("DIR")
      ->required();
  command
      ->add_option(
          "--adapter", options->adapter,
          "a PEFT adapter folder (LoRA, DoRA, IA3), an SSF adapter folder, or a sparse difference")
      ->type_name("DIR")
      ->required();
  command->add_option("--out", options->out, "the model folder to write (replaced whole)")
      ->type_name("DIR")
      ->required();
  command
      ->add_option("--task", options->task,
                   "a Poly adapter's task (an id or a name): merges W + A_t B_t / r with its "
                   "routing at eval (required for Poly)")
      ->type_name("ID|NAME");
  add_threads_option(command, options->threads);
  return {command, [options] { return run_export(*options); }};
}

}  // namespace retune::cli
