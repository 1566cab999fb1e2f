// The --threads option every computing command has.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

namespace retune::cli {

// Adds `--threads N` to `command`, filling `threads` (unset: OpenMP's default, every core).
void add_threads_option(CLI::App* command, std::optional<int>& threads);

// Sets the thread count when the option was given (an Error for N < 1).
void use_threads(const std::optional<int>& threads);

}  // namespace retune::cli
