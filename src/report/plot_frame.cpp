#include "report/plot_frame.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/markup.h"

namespace retune::report {

namespace {

constexpr double kTitleSize = 15;
constexpr double kLabelSize = 12;
constexpr double kTickSize = 11;

}  // namespace

double AxisScale::fraction(double value) const {
  if (log_scale) {
    return (std::log10(value) - std::log10(range.low)) /
           (std::log10(range.high) - std::log10(range.low));
  }
  return (value - range.low) / (range.high - range.low);
}

AxisScale make_axis_scale(std::span<const double> values, bool log_scale, double padding) {
  AxisRange range = data_range(values, log_scale);
  if (padding > 0) {
    if (log_scale) {
      const double factor = std::pow(range.high / range.low, padding);
      range = {range.low / factor, range.high * factor};
    } else {
      // Padding does not take non-negative data (accuracies, forgetting) below zero.
      const double margin = (range.high - range.low) * padding;
      range = {range.low >= 0 ? std::max(0.0, range.low - margin) : range.low - margin,
               range.high + margin};
    }
  }
  AxisScale scale{.log_scale = log_scale};
  scale.ticks = log_scale ? log_ticks(range) : linear_ticks(range);
  scale.range = {scale.ticks.front(), scale.ticks.back()};
  return scale;
}

PlotFrame::PlotFrame(PlotLabels labels, AxisScale x, AxisScale y, double width, double plot_height,
                     double extra_height)
    : labels_(std::move(labels)), x_(std::move(x)), y_(std::move(y)), width_(width) {
  double widest_tick = 0;
  for (const double tick : y_.ticks) {
    widest_tick = std::max(widest_tick, text_width(format_value(tick), kTickSize));
  }
  left_ = 12 + (labels_.y_label.empty() ? 0 : kLabelSize + 8) + widest_tick + 8;
  // The last x tick label is centred on the right edge: leave room for its half.
  const double last_x_tick = text_width(format_value(x_.ticks.back()), kTickSize);
  right_ = width_ - std::max(16.0, last_x_tick / 2 + 6);
  top_ = labels_.title.empty() ? 14 : kTitleSize + 22;
  bottom_ = top_ + plot_height;
  extra_top_ = bottom_ + 22 + (labels_.x_label.empty() ? 0 : kLabelSize + 10);
  height_ = extra_top_ + extra_height + 6;
}

double PlotFrame::x_pixel(double value) const {
  return left_ + x_.fraction(value) * (right_ - left_);
}

double PlotFrame::y_pixel(double value) const {
  return bottom_ - y_.fraction(value) * (bottom_ - top_);
}

std::string PlotFrame::open_svg(const std::string& css_class) const {
  const auto c = format_coordinate;
  std::string svg = open_svg_canvas(css_class, width_, height_);
  if (!labels_.title.empty()) {
    svg += fmt::format(R"(<text class="title" x="{}" y="{}" font-size="{}" font-weight="600" )"
                       R"(text-anchor="middle">{}</text>)"
                       "\n",
                       c(width_ / 2), c(kTitleSize + 6), kTitleSize, escape_markup(labels_.title));
  }
  for (const double tick : y_.ticks) {
    const double y = y_pixel(tick);
    svg +=
        fmt::format(R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e3e3e3"/>)"
                    R"(<text x="{}" y="{}" font-size="{}" fill="#444" text-anchor="end">{}</text>)"
                    "\n",
                    c(left_), c(right_), c(y), c(y), c(left_ - 6), c(y + 4), kTickSize,
                    escape_markup(format_value(tick)));
  }
  for (const double tick : x_.ticks) svg += vertical_tick(x_pixel(tick), top_, bottom_, tick);
  svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>)"
                     "\n",
                     c(left_), c(top_), c(right_ - left_), c(bottom_ - top_));
  if (!labels_.x_label.empty()) {
    svg += fmt::format(
        R"(<text class="axis-label" x="{}" y="{}" font-size="{}" text-anchor="middle">{}</text>)"
        "\n",
        c((left_ + right_) / 2), c(bottom_ + 22 + kLabelSize + 4), kLabelSize,
        escape_markup(labels_.x_label));
  }
  if (!labels_.y_label.empty()) {
    const double x = 12 + kLabelSize;
    const double y = (top_ + bottom_) / 2;
    svg +=
        fmt::format(R"(<text class="axis-label" x="{}" y="{}" font-size="{}" text-anchor="middle" )"
                    R"svg(transform="rotate(-90 {} {})">{}</text>)svg"
                    "\n",
                    c(x), c(y), kLabelSize, c(x), c(y), escape_markup(labels_.y_label));
  }
  return svg;
}

std::string vertical_tick(double x, double top, double bottom, double tick) {
  const auto c = format_coordinate;
  return fmt::format(
      R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e3e3e3"/>)"
      R"(<text x="{}" y="{}" font-size="{}" fill="#444" text-anchor="middle">{}</text>)"
      "\n",
      c(x), c(x), c(top), c(bottom), c(x), c(bottom + 16), kTickSize,
      escape_markup(format_value(tick)));
}

std::string centred_note(const PlotFrame& frame, const std::string& text) {
  return fmt::format(
      R"(<text class="note" x="{}" y="{}" font-size="13" fill="#777" text-anchor="middle">{}</text>)"
      "\n",
      format_coordinate((frame.plot_left() + frame.plot_right()) / 2),
      format_coordinate((frame.plot_top() + frame.plot_bottom()) / 2), escape_markup(text));
}

}  // namespace retune::report
