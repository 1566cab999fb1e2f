// The report of a demo folder (`retune demo` output): how several fine-tuning methods trade
// learning a new task against forgetting old ones. demo.json's methods as a table and as a
// scatter of new-task accuracy against forgetting (a labelled point per method), every method's
// training loss on one chart and their retained accuracy (or, without accuracies, their mean
// retain loss) on another, and the continual run it names, if any.
//
// demo.json: {"title"?, "new_task"?, "old_tasks"?: [NAME...], "methods": [{"name",
// "new_task_accuracy"?, "retained_accuracy"?, "forgetting"?, "trainable_parameters"?,
// "seconds"?, "run"?: FOLDER}], "base"?: {"new_task_accuracy"?, "retained_accuracy"?, "run"?},
// "continual"?: FOLDER}; folders are relative to the demo folder.
#pragma once

#include <filesystem>
#include <string>

#include "report/html_page.h"

namespace retune::report {

// Whether the folder holds demo.json.
bool is_demo_run(const std::filesystem::path& folder);

// demo.json's "title", or `fallback` without one.
std::string demo_title(const std::filesystem::path& folder, const std::string& fallback);

// Appends the demo's sections to `page`. Throws retune::Error naming demo.json and the field for
// a malformed file, or the file of a malformed run it names.
void add_demo_run(HtmlPage& page, const std::filesystem::path& folder);

}  // namespace retune::report
