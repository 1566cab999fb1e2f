// retune's command line: parses the subcommand and hands over to its file in cli/.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"
#include "core/version.h"

int main(int argc, char** argv) {
  CLI::App app{"retune: fine-tune transformer language models without forgetting"};
  app.set_version_flag("--version", fmt::format("retune {}", retune::version()));
  app.require_subcommand(0, 1);
  retune::cli::add_selfcheck_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  try {
    return retune::cli::run_selected(app);
  } catch (const retune::Error& error) {
    fmt::print(stderr, "retune: error: {}\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "retune: internal error: {}\n", error.what());
    return 2;
  }
}
