// The SVG renderers: well-formed markup, one group per series / point / cell, escaped labels,
// NaN, infinities and empty series, and the number formats they write.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "report/heat_map.h"
#include "report/html_page.h"
#include "report/line_chart.h"
#include "report/markup.h"
#include "report/scatter_plot.h"
#include "svg_checks.h"

namespace retune::report {
namespace {

const std::string kNasty = R"(a<b & "c" 'd'>)";
const std::string kNastyEscaped = "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;";

void expect_well_formed(const std::string& markup) {
  std::string why;
  EXPECT_TRUE(tags_balanced(markup, &why)) << why << "\n" << markup;
}

TEST(ReportMarkup, EscapesAndFormats) {
  EXPECT_EQ(escape_markup(kNasty), kNastyEscaped);
  EXPECT_EQ(format_value(3.0), "3");
  EXPECT_EQ(format_value(-0.0), "0");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(2.0 / 3.0), "0.6667");
  EXPECT_EQ(format_value(1234.5678), "1235");
  EXPECT_EQ(format_value(1e-6), "1e-06");
  EXPECT_EQ(format_value(NAN), "–");
  EXPECT_EQ(format_value(-INFINITY), "-∞");
  EXPECT_EQ(format_coordinate(12.3456), "12.35");
  EXPECT_EQ(format_coordinate(10.0), "10");
}

TEST(ReportLineChart, DrawsEverySeriesAndPointWithEscapedLabels) {
  const std::string svg = render_line_chart(
      {.title = kNasty,
       .x_label = "step",
       .y_label = kNasty,
       .series = {{"loss", {0, 1, 2}, {3, 2, 1}}, {kNasty, {0, 1, 2, 3}, {1, 1.5, 2, 2.5}}},
       .markers = {{1.5, kNasty}}});
  expect_well_formed(svg);
  EXPECT_EQ(count_of(svg, "<svg"), 1u);
  EXPECT_EQ(count_of(svg, R"(class="series")"), 2u);
  EXPECT_EQ(count_of(svg, R"(data-points="3")"), 1u);
  EXPECT_EQ(count_of(svg, R"(data-points="4")"), 1u);
  EXPECT_EQ(count_of(svg, "<circle"), 7u);
  EXPECT_EQ(count_of(svg, R"(class="legend-entry")"), 2u);
  EXPECT_EQ(count_of(svg, R"(class="marker")"), 1u);
  EXPECT_EQ(count_of(svg, kNastyEscaped), 5u);  // title, y label, series name twice, marker
  EXPECT_EQ(svg.find(kNasty), std::string::npos);
}

TEST(ReportLineChart, NonFiniteValuesBreakTheLineAndEmptySeriesDrawNothing) {
  const std::string svg = render_line_chart(
      {.series = {{"gappy", {0, 1, 2, 3, 4}, {1, NAN, 2, INFINITY, 3}}, {"empty", {}, {}}}});
  expect_well_formed(svg);
  EXPECT_EQ(count_of(svg, R"(data-points="3")"), 1u);
  EXPECT_EQ(count_of(svg, R"(data-points="0")"), 1u);
  EXPECT_EQ(count_of(svg, "d=\"M"), 1u);  // one path,
  EXPECT_EQ(count_of(svg, " M"), 2u);     // restarted at each of the two gaps
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);

  const std::string empty = render_line_chart({.title = "nothing", .series = {{"none", {}, {}}}});
  expect_well_formed(empty);
  EXPECT_NE(empty.find("no finite values"), std::string::npos);
}

TEST(ReportLineChart, LogAxisLeavesOutNonPositiveValues) {
  const std::string svg =
      render_line_chart({.log_y = true, .series = {{"lr", {0, 1, 2, 3}, {0, 1e-4, 1e-3, -1}}}});
  expect_well_formed(svg);
  EXPECT_EQ(count_of(svg, R"(data-points="2")"), 1u);
  EXPECT_NE(svg.find(">0.0001<"), std::string::npos);
  EXPECT_NE(svg.find(">0.001<"), std::string::npos);
}

TEST(ReportLineChart, ManyPointsAreDrawnWithoutMarkers) {
  LineSeries series{.name = "long"};
  for (int i = 0; i < 100; ++i) {
    series.x.push_back(i);
    series.y.push_back(std::sin(i * 0.1));
  }
  const std::string svg = render_line_chart({.series = {series}});
  EXPECT_EQ(count_of(svg, R"(data-points="100")"), 1u);
  EXPECT_EQ(count_of(svg, "<circle"), 0u);
}

TEST(ReportScatterPlot, DrawsALabelledPointPerFinitePoint) {
  const std::string svg = render_scatter_plot(
      {.title = "trade-off",
       .x_label = "forgetting",
       .y_label = "accuracy",
       .points = {
           {"full", 0.5, 0.98}, {"lora", 0.1, 0.95}, {kNasty, 0.1, 0.95}, {"broken", NAN, 0.5}}});
  expect_well_formed(svg);
  EXPECT_EQ(count_of(svg, R"(class="point")"), 3u);
  EXPECT_NE(svg.find(kNastyEscaped), std::string::npos);
  EXPECT_EQ(svg.find("broken"), std::string::npos);
  EXPECT_NE(render_scatter_plot({}).find("no finite values"), std::string::npos);
}

TEST(ReportHeatMap, DrawsACellPerValueWithItsValue) {
  const std::string svg = render_heat_map({.title = "matrix",
                                           .row_labels = {"after 0", kNasty},
                                           .column_labels = {"reverse", "sort", "add"},
                                           .values = {{0.9, 0.1, NAN}, {0.5, 0.95, 0.0}},
                                           .value_range = AxisRange{0, 1}});
  expect_well_formed(svg);
  EXPECT_EQ(count_of(svg, R"(class="cell")"), 6u);
  EXPECT_NE(svg.find(">0.95<"), std::string::npos);
  EXPECT_NE(svg.find(">–<"), std::string::npos);
  EXPECT_NE(svg.find(kNastyEscaped), std::string::npos);
  EXPECT_THROW(render_heat_map({.row_labels = {"a"}, .column_labels = {"x"}, .values = {{1, 2}}}),
               Error);
}

TEST(ReportHtmlPage, TablesAndPagesAreWellFormedAndEscaped) {
  HtmlPage page(kNasty);
  page.add_heading(kNasty);
  page.add_note(kNasty);
  page.add_table({.header = {"name", "value"}, .rows = {{kNasty, "0.5"}, {"short"}}});
  page.add_figure(render_line_chart({.series = {{"a", {0, 1}, {0, 1}}}}));
  const std::string html = page.render();
  expect_well_formed(html);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count_of(html, kNastyEscaped), 5u);  // <title>, <h1>, <h2>, note, cell
  EXPECT_EQ(count_of(html, R"(<td class="number">0.5</td>)"), 1u);
  EXPECT_EQ(count_of(html, "<td></td>"), 1u);  // the short row's missing cell
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
}

}  // namespace
}  // namespace retune::report
