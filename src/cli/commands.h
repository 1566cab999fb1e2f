// Subcommands: each file in cli/ registers one with the CLI11 app and runs it when chosen.
#pragma once

#include <CLI/CLI.hpp>

namespace retune::cli {

// `retune selfcheck`: runs every op's checks once and reports them (selfcheck.cpp).
void add_selfcheck_command(CLI::App& app);

// Runs the chosen subcommand; returns the process exit code.
int run_selected(CLI::App& app);

}  // namespace retune::cli
