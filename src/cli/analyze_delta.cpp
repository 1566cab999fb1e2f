// `retune analyze delta --base DIR (--tuned DIR | --adapter DIR) [--json] [--report FILE.html]`:
// per changed module, what the fine-tuning did to the weight (eval/delta_statistics.h): ‖ΔW‖_F
// and its ratio to ‖W0‖_F, the entropy effective rank exp(H(σ/Σσ)) and the count of
// σ > 1e-6·σ_max of ΔW's spectrum, and the fraction of ΔW's entries (largest first) holding 90%
// and 99% of its energy.
//
// The table: one row per module with those numbers. With --json one object {"base", "tuned" or
// "adapter", "modules": [{"module", "shape": [out, in], "frobenius", "relative" (null when W0 is
// zero), "singular_values" (all), "entropy_rank", "numerical_rank", "entries_for_90",
// "entries_for_99"}]}. --report writes an HTML page (atomically): the table, ΔW's singular values
// per module as line charts (log scale), and ‖ΔW‖_F per module as a bar chart.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli/analyze_inputs.h"
#include "cli/commands.h"
#include "cli/threads_option.h"
#include "eval/delta_statistics.h"
#include "io/atomic_file.h"
#include "report/bar_chart.h"
#include "report/html_page.h"
#include "report/line_chart.h"
#include "report/text_table.h"

namespace retune::cli {

namespace {

struct DeltaOptions {
  AnalyzeInputs inputs;
  bool json = false;
  std::optional<std::string> report;
  std::optional<int> threads;
};

nlohmann::json report_json(const DeltaOptions& options,
                           const std::vector<eval::DeltaStatistics>& modules) {
  nlohmann::json out = inputs_json(options.inputs);
  out["modules"] = nlohmann::json::array();
  for (const eval::DeltaStatistics& m : modules) {
    out["modules"].push_back(
        {{"module", m.module},
         {"shape", {m.rows, m.cols}},
         {"frobenius", m.frobenius},
         {"relative", std::isfinite(m.relative) ? nlohmann::json(m.relative) : nlohmann::json()},
         {"singular_values", m.singular_values},
         {"entropy_rank", m.entropy_rank},
         {"numerical_rank", m.numerical_rank},
         {"entries_for_90", m.entries_for_90},
         {"entries_for_99", m.entries_for_99}});
  }
  return out;
}

report::HtmlTable delta_table(const std::vector<eval::DeltaStatistics>& modules) {
  report::HtmlTable table{{"module", "shape", "‖ΔW‖", "‖ΔW‖/‖W0‖", "entropy rank",
                           "rank (σ > 1e-6·σmax)", "entries for 90%", "entries for 99%"},
                          {}};
  for (const eval::DeltaStatistics& m : modules) {
    table.rows.push_back({m.module, fmt::format("{}x{}", m.rows, m.cols),
                          fmt::format("{:.4g}", m.frobenius), fmt::format("{:.4g}", m.relative),
                          fmt::format("{:.2f}", m.entropy_rank), std::to_string(m.numerical_rank),
                          fmt::format("{:.2f}%", 100 * m.entries_for_90),
                          fmt::format("{:.2f}%", 100 * m.entries_for_99)});
  }
  return table;
}

std::string report_page(const DeltaOptions& options,
                        const std::vector<eval::DeltaStatistics>& modules) {
  report::HtmlPage page("retune analyze delta");
  page.add_note(fmt::format(
      "base {}, {} {}", options.inputs.base, options.inputs.tuned ? "tuned model" : "adapter",
      options.inputs.tuned ? *options.inputs.tuned : *options.inputs.adapter));
  page.add_heading("Modules");
  page.add_table(delta_table(modules));
  page.add_heading("Singular values of ΔW");
  for (const eval::DeltaStatistics& m : modules) {
    report::LineSeries series{"σ", {}, m.singular_values};
    for (size_t i = 0; i < m.singular_values.size(); ++i)
      series.x.push_back(static_cast<double>(i + 1));
    page.add_figure(report::render_line_chart(
        {m.module, "index", "singular value", true, {series}, {}, 560, 160}));
  }
  page.add_heading("Size of ΔW");
  report::BarChart norms{"‖ΔW‖_F per module", "Frobenius norm", {}, false, 560};
  for (const eval::DeltaStatistics& m : modules) {
    norms.bars.push_back({m.module, m.frobenius, fmt::format("{:.4g}", m.frobenius)});
  }
  page.add_figure(report::render_bar_chart(norms));
  return page.render();
}

int run_delta(const DeltaOptions& options) {
  use_threads(options.threads);
  std::vector<eval::DeltaStatistics> modules;
  for (const eval::ModuleWeights& m : load_module_weights(options.inputs)) {
    modules.push_back(eval::delta_statistics(m.module, m.base, m.tuned));
  }
  if (options.report) {
    const std::string html = report_page(options, modules);
    AtomicFile file(*options.report);
    file.write(std::as_bytes(std::span(html)));
    file.commit();
  }
  if (options.json) {
    fmt::print("{}\n", report_json(options, modules).dump());
  } else {
    fmt::print("{}", report::aligned_table(delta_table(modules)));
    if (options.report) fmt::print("report: {}\n", *options.report);
  }
  return 0;
}

}  // namespace

Command add_analyze_delta_command(CLI::App& analyze) {
  auto options = std::make_shared<DeltaOptions>();
  CLI::App* command = analyze.add_subcommand(
      "delta", "norms, singular-value spectra, effective ranks and sparsity of ΔW per module");
  add_analyze_inputs(command, options->inputs);
  command->add_flag("--json", options->json, "print one JSON object");
  command->add_option("--report", options->report, "also write an HTML page with plots")
      ->type_name("FILE.html");
  add_threads_option(command, options->threads);
  return {command, [options] { return run_delta(*options); }};
}

}  // namespace retune::cli
