// The report of a run folder: which kind it is (a comparison, a demo, a continual run or a
// training run, told by compare.json, demo.json, continual.json, or metrics.jsonl / summary.json,
// in that order) and the whole self-contained HTML page for it.
#pragma once

#include <filesystem>
#include <string>

namespace retune::report {

// The page for the folder. Throws retune::Error when the folder holds none of the files above
// (saying what was looked for) or one of them is malformed (naming it, and the line for JSONL).
std::string render_run_report(const std::filesystem::path& folder);

// Renders the page and writes it to `out` atomically: on an error nothing is written.
void write_run_report(const std::filesystem::path& folder, const std::filesystem::path& out);

}  // namespace retune::report
