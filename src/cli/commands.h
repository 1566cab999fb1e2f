// Subcommands: each file in cli/ registers one with the CLI11 app and returns a Command that
// runs it once the command line is parsed. The runner reads the options the parse filled in;
// it throws retune::Error for bad input (main prints it in one line and exits 1).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace retune::cli {

// A registered subcommand: its CLI11 app and what runs it; run returns the exit code.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// `retune selfcheck`: runs every op's checks once and reports them (selfcheck.cpp).
Command add_selfcheck_command(CLI::App& app);

// `retune inspect`: describes a model folder (inspect.cpp).
Command add_inspect_command(CLI::App& app);

// `retune tokenize`: prints the token ids of a text (tokenize.cpp).
Command add_tokenize_command(CLI::App& app);

// `retune forward`: writes a model's logits for one sequence (forward.cpp).
Command add_forward_command(CLI::App& app);

// `retune generate`: continues a prompt, streaming text (generate.cpp).
Command add_generate_command(CLI::App& app);

// `retune train`: fine-tunes a model from a YAML config (train.cpp).
Command add_train_command(CLI::App& app);

// `retune export`: merges an adapter into its base model (export.cpp).
Command add_export_command(CLI::App& app);

// `retune eval`: loss, perplexity and exact match of a model on data files (eval.cpp).
Command add_eval_command(CLI::App& app);

// `retune interpolate`: WiSE-FT weight interpolation and its trade-off sweep (interpolate.cpp).
Command add_interpolate_command(CLI::App& app);

// `retune tasks`: lists procedural tasks or writes their examples (tasks.cpp).
Command add_tasks_command(CLI::App& app);

// `retune continual`: trains a sequence of tasks, measuring forgetting (continual.cpp).
Command add_continual_command(CLI::App& app);

// `retune demo`: fine-tunes a tiny pretrained model with every method and reports (demo.cpp).
Command add_demo_command(CLI::App& app);

// `retune init`: makes a base model from scratch, tokenizer and random weights (init.cpp).
Command add_init_command(CLI::App& app);

// `retune compare`: trains several methods on equal terms and tabulates them (compare.cpp).
Command add_compare_command(CLI::App& app);

// `retune report`: an HTML page of tables and plots for a run folder (report.cpp).
Command add_report_command(CLI::App& app);

// `retune merge`: merges models as a mergekit YAML config says (merge.cpp).
Command add_merge_command(CLI::App& app);

// `retune extract-lora`: a LoRA adapter from a fine-tuned model and its base (extract_lora.cpp).
Command add_extract_lora_command(CLI::App& app);

// `retune soup`: the greedy model soup of fine-tuned models on held-out data (soup.cpp).
Command add_soup_command(CLI::App& app);
// `retune merge-adapters`: PEFT LoRA adapters merged as add_weighted_adapter does
// (merge_adapters.cpp).
Command add_merge_adapters_command(CLI::App& app);

// `retune analyze`: analyses of a fine-tuning's weights against its base (analyze.cpp), with
// its subcommands registered on it: `analyze intruders` (analyze_intruders.cpp),
// `analyze delta` (analyze_delta.cpp) and `analyze graft` (analyze_graft.cpp).
Command add_analyze_command(CLI::App& app);
Command add_analyze_intruders_command(CLI::App& analyze);
Command add_analyze_delta_command(CLI::App& analyze);
Command add_analyze_graft_command(CLI::App& analyze);

// `retune prune`: one-shot global magnitude pruning with its mask (prune.cpp).
Command add_prune_command(CLI::App& app);

}  // namespace retune::cli
