// A report table as plain text: Markdown for results files, and columns aligned with spaces for
// a terminal.
#pragma once

#include <string>

#include "report/html_page.h"

namespace retune::report {

// A GitHub-flavoured Markdown table ("| a | b |" lines, '|' in cells escaped), every column but
// the first right-aligned.
std::string markdown_table(const HtmlTable& table);

// The header and rows as lines of columns two spaces apart, padded to the widest cell (counting
// UTF-8 characters): the first column left-aligned, the others right-aligned.
std::string aligned_table(const HtmlTable& table);

}  // namespace retune::report
