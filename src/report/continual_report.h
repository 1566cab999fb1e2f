// The report of a continual run folder (`retune continual` output): continual.json's metrics as
// tables, its accuracy matrix as a heat map, its stability curves (accuracy on every task over
// the global step, with the task boundaries marked) and the training loss of each task's run
// (the sub-folders its "runs" names) one after another.
//
// continual.json: {"tasks": [NAME...], "strategy"?, "method"?, "metric"?, "start"?: [ACC...],
// "matrix": [[ACC per task] per trained task], "metrics"?: {"average_accuracy"?, ...,
// "min_acc"?: [ACC or null per task], "wc_acc"?: [...]}, "curves"?: [{"task": I, "points":
// [{"step", "accuracy": [ACC per task]}]}], "runs"?: [FOLDER...]}. A curve's steps may count
// from 0 in each task (they are then offset by the previous tasks' last steps) or globally.
#pragma once

#include <filesystem>

#include "report/html_page.h"

namespace retune::report {

// Whether the folder holds continual.json.
bool is_continual_run(const std::filesystem::path& folder);

// Appends the run's tables and charts to `page`. Throws retune::Error naming continual.json and
// the field for a malformed file, or a run's file for a malformed run.
void add_continual_run(HtmlPage& page, const std::filesystem::path& folder);

}  // namespace retune::report
