#include "cli/threads_option.h"

#include "core/threads.h"

namespace retune::cli {

void add_threads_option(CLI::App* command, std::optional<int>& threads) {
  command->add_option("--threads", threads, "threads to compute with (default: every core)");
}

void use_threads(const std::optional<int>& threads) {
  if (threads) set_num_threads(*threads);
}

}  // namespace retune::cli
