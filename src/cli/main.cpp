// retune's command line: parses the subcommand and hands over to its file in cli/.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "core/heap_reuse.h"
#include "core/version.h"

int main(int argc, char** argv) {
  retune::keep_freed_memory_for_reuse();
  CLI::App app{"retune: fine-tune transformer language models without forgetting"};
  app.set_version_flag("--version", fmt::format("retune {}", retune::version()));
  app.require_subcommand(0, 1);
  const std::vector<retune::cli::Command> commands = {
      retune::cli::add_selfcheck_command(app),      retune::cli::add_inspect_command(app),
      retune::cli::add_tokenize_command(app),       retune::cli::add_forward_command(app),
      retune::cli::add_generate_command(app),       retune::cli::add_train_command(app),
      retune::cli::add_export_command(app),         retune::cli::add_eval_command(app),
      retune::cli::add_interpolate_command(app),    retune::cli::add_tasks_command(app),
      retune::cli::add_continual_command(app),      retune::cli::add_demo_command(app),
      retune::cli::add_init_command(app),           retune::cli::add_report_command(app),
      retune::cli::add_merge_command(app),          retune::cli::add_extract_lora_command(app),
      retune::cli::add_compare_command(app),        retune::cli::add_soup_command(app),
      retune::cli::add_merge_adapters_command(app), retune::cli::add_analyze_command(app),
      retune::cli::add_prune_command(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  try {
    for (const retune::cli::Command& command : commands) {
      if (command.app->parsed()) return command.run();
    }
  } catch (const retune::Error& error) {
    fmt::print(stderr, "retune: error: {}\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "retune: internal error: {}\n", error.what());
    return 2;
  }
  // No subcommand: say what there is.
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
