// `retune report RUN_DIR [--out FILE]`: writes a self-contained HTML page of tables and plots for
// a run folder (a training run, a continual run, a demo or a comparison; report/run_report.h), by
// default RUN_DIR/report.html, and prints its path.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "report/run_report.h"

namespace retune::cli {

namespace {

struct ReportOptions {
  std::string run_dir;
  std::optional<std::string> out;
};

}  // namespace

Command add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command =
      app.add_subcommand("report", "Write an HTML page of tables and plots for a run folder");
  command
      ->add_option("run_dir", options->run_dir,
                   "Run folder (train, continual, demo or compare output)")
      ->required();
  command->add_option("--out", options->out, "Output file (default: RUN_DIR/report.html)");
  return {command, [options] {
            const std::filesystem::path out =
                options->out ? std::filesystem::path(*options->out)
                             : std::filesystem::path(options->run_dir) / "report.html";
            report::write_run_report(options->run_dir, out);
            fmt::print("{}\n", out.string());
            return 0;
          }};
}

}  // namespace retune::cli
