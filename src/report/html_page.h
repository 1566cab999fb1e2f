// HtmlPage: the report document, one self-contained HTML page (inline CSS, inline SVG; no
// script, no network, no external fonts) built from sections of headings, notes, tables and
// charts; and HtmlTable, a table of text cells.
#pragma once

#include <string>
#include <vector>

namespace retune::report {

// A table: a header row and body rows of plain text (escaped when rendered). Rows may be
// shorter than the header (missing cells are left empty).
struct HtmlTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// The table as a <table> element; cells that read as numbers are right-aligned.
std::string render_table(const HtmlTable& table);

class HtmlPage {
 public:
  explicit HtmlPage(std::string title) : title_(std::move(title)) {}

  // A section heading (<h2>), or a sub-heading (<h3>) within the current section.
  void add_heading(const std::string& text);
  void add_subheading(const std::string& text);
  // A short paragraph in grey: why a plot is left out, where the data came from.
  void add_note(const std::string& text);
  void add_table(const HtmlTable& table);
  // Markup made by a renderer of this folder (an <svg> chart), inserted as it is.
  void add_figure(const std::string& svg);

  // The whole document.
  std::string render() const;

 private:
  std::string title_;
  std::string body_;
};

}  // namespace retune::report
