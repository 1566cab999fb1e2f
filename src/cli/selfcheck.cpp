// `retune selfcheck [--threads N] [--verbose]`: runs every op spec (ops/check) on every
// device this build has and prints one line per op. Exit 0 when all pass, 1 otherwise.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/threads_option.h"
#include "core/threads.h"
#include "core/version.h"
#include "ops/check/op_check.h"
#include "ops/check/specs.h"

namespace retune::cli {

namespace {

struct SelfcheckOptions {
  std::optional<int> threads;  // unset: OpenMP's default (every core)
  bool verbose = false;
};

int run_selfcheck(const SelfcheckOptions& options) {
  use_threads(options.threads);
  fmt::print("retune {} selfcheck, {} threads, {}\n", version(), num_threads(), blas_config());
  if (!blas_uses_openmp()) {
    fmt::print("FAIL the OpenBLAS loaded is not the OpenMP build: its threads will fight ours\n");
    return 1;
  }
  struct OpTally {
    int specs = 0;
    int checks = 0;
    int failed = 0;
  };
  std::map<std::string, OpTally> tallies;
  std::vector<std::string> op_order;
  for (Device device : ops::available_devices()) {
    for (const ops::OpSpec& spec : ops::all_op_specs()) {
      if (!tallies.contains(spec.op)) op_order.push_back(spec.op);
      OpTally& tally = tallies[spec.op];
      ++tally.specs;
      for (const ops::CheckResult& result : ops::run_op_spec(spec, device, 1234)) {
        ++tally.checks;
        if (!result.passed) ++tally.failed;
        if (!result.passed || options.verbose) {
          fmt::print("{} {} [{}] {}: max error {:.3g}, tolerance {:.0e} + {:.0e}|want|{}\n",
                     result.passed ? "ok  " : "FAIL", spec.name(), device_name(device),
                     result.check, result.max_abs_error, result.tolerance.atol,
                     result.tolerance.rtol, result.passed ? "" : "; " + result.detail);
        }
      }
    }
  }
  int failed = 0;
  for (const std::string& op : op_order) {
    const OpTally& tally = tallies[op];
    fmt::print("{:<22} {:>3} cases {:>4} checks  {}\n", op, tally.specs, tally.checks,
               tally.failed ? fmt::format("{} FAILED", tally.failed) : std::string("ok"));
    failed += tally.failed;
  }
  fmt::print("selfcheck: {}\n", failed ? "FAILED" : "all ops ok");
  return failed ? 1 : 0;
}

}  // namespace

Command add_selfcheck_command(CLI::App& app) {
  auto options = std::make_shared<SelfcheckOptions>();
  CLI::App* command = app.add_subcommand(
      "selfcheck", "check every op against its reference and finite differences");
  add_threads_option(command, options->threads);
  command->add_flag("--verbose", options->verbose, "print every check");
  return {command, [options] { return run_selfcheck(*options); }};
}

}  // namespace retune::cli
