// The report of a comparison folder (`retune compare` output, compare.json: its fields are listed
// in compare/comparison_run.h): the settings, the table of methods (the base first; a failed
// method's row holds its error line), a scatter of new-task accuracy against forgetting (a labelled
// point per method and the base; new-task loss against the retain loss's increase when there are
// no accuracies), bars of trainable parameters (log scale), peak memory and training time, and
// every method's training loss (from <run folder>/metrics.jsonl).
//
// The table, settings, failures and legend are also what `retune compare` prints and writes to
// compare.md: every view of a comparison shows the same cells.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/html_page.h"

namespace retune::report {

// Whether the folder holds compare.json.
bool is_comparison(const std::filesystem::path& folder);

// A row per method, after the base's: method, new-task accuracy and loss, retained accuracy,
// forgetting, the retain loss's increase, trainable parameters (and their share of the total),
// peak memory, training time, the run's whole time, tokens/s and the output's size on disk; with
// repeats, "mean ± standard deviation". A failed method's row says "failed: ERROR LINE", or with
// `short_failures` (a terminal's table, whose columns a long line would stretch) just "failed",
// comparison_failures then listing the lines. `where` names the file in errors (a missing or
// mistyped field).
HtmlTable comparison_table(const nlohmann::json& results, const std::string& where,
                           bool short_failures = false);

// "NAME: ERROR LINE" for each failed method.
std::vector<std::string> comparison_failures(const nlohmann::json& results,
                                             const std::string& where);

// One paragraph: the base model, the training data and budget, the scored files, the machine.
std::string comparison_settings(const nlohmann::json& results, const std::string& where);

// What the columns mean.
std::string comparison_legend();

// Appends the comparison's sections to `page`. Throws retune::Error naming compare.json and the
// field for a malformed file, or the file of a malformed run it names.
void add_comparison(HtmlPage& page, const std::filesystem::path& folder);

}  // namespace retune::report
