// The report of one training run folder (`retune train` output): its summary.json as tables and
// its metrics.jsonl as charts (training loss, learning rate, eval loss and accuracy, each retain
// file's loss, accuracy and forgetting). A part whose data is absent is left out with a note.
#pragma once

#include <filesystem>

#include "report/html_page.h"

namespace retune::report {

// Whether the folder is a training run: it holds metrics.jsonl or summary.json.
bool is_training_run(const std::filesystem::path& folder);

// Appends the run's tables and charts to `page` (under the caller's heading). Throws
// retune::Error naming the file (and line) for a malformed summary.json or metrics.jsonl.
void add_training_run(HtmlPage& page, const std::filesystem::path& folder);

}  // namespace retune::report
