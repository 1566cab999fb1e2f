// `retune analyze intruders|delta|graft`: analyses of what a fine-tuning did to the weights
// (analyze_intruders.cpp, analyze_delta.cpp, analyze_graft.cpp).
#include <memory>
#include <vector>

#include "cli/commands.h"

namespace retune::cli {

Command add_analyze_command(CLI::App& app) {
  CLI::App* command =
      app.add_subcommand("analyze", "analyses of a fine-tuning's weights against its base");
  command->require_subcommand(1);
  auto subcommands = std::make_shared<std::vector<Command>>(std::vector<Command>{
      add_analyze_intruders_command(*command), add_analyze_delta_command(*command),
      add_analyze_graft_command(*command)});
  return {command, [subcommands] {
            for (const Command& subcommand : *subcommands) {
              if (subcommand.app->parsed()) return subcommand.run();
            }
            return 1;
          }};
}

}  // namespace retune::cli
