#include "report/run_report.h"

#include <span>

#include "core/error.h"
#include "io/atomic_file.h"
#include "report/compare_report.h"
#include "report/continual_report.h"
#include "report/demo_report.h"
#include "report/html_page.h"
#include "report/training_report.h"

namespace retune::report {

std::string render_run_report(const std::filesystem::path& folder) {
  RETUNE_CHECK(std::filesystem::is_directory(folder), "{}: not a folder", folder.string());
  const std::string name = std::filesystem::absolute(folder).lexically_normal().filename().string();
  if (is_comparison(folder)) {
    HtmlPage page("retune comparison: " + name);
    add_comparison(page, folder);
    return page.render();
  }
  if (is_demo_run(folder)) {
    HtmlPage page(demo_title(folder, "retune demo: " + name));
    add_demo_run(page, folder);
    return page.render();
  }
  if (is_continual_run(folder)) {
    HtmlPage page("retune continual run: " + name);
    add_continual_run(page, folder);
    return page.render();
  }
  if (is_training_run(folder)) {
    HtmlPage page("retune training run: " + name);
    add_training_run(page, folder);
    return page.render();
  }
  fail(
      "{}: not a run folder: expected compare.json (retune compare), demo.json (retune demo), "
      "continual.json (retune continual), or metrics.jsonl or summary.json (retune train)",
      folder.string());
}

void write_run_report(const std::filesystem::path& folder, const std::filesystem::path& out) {
  const std::string html = render_run_report(folder);
  AtomicFile file(out);
  file.write(std::as_bytes(std::span(html)));
  file.commit();
}

}  // namespace retune::report
