// Markup text helpers shared by every report part: escaping text for HTML and SVG, and the short
// number formats that tick labels, heat-map cells and tables show.
#pragma once

#include <string>
#include <string_view>

namespace retune::report {

// The text with & < > " ' replaced by entities, safe inside elements and quoted attributes.
std::string escape_markup(std::string_view text);

// A value as people read it in a table or a cell: integers without decimals, others with up to
// `significant` significant digits (no trailing zeros), "–" for NaN, "∞"/"-∞" for infinities.
std::string format_value(double value, int significant = 4);

// A coordinate for SVG attributes: two decimals at most, no trailing zeros.
std::string format_coordinate(double value);

// An <svg> element's opening tag (with `css_class`, the report's font, a `width` × `height`
// pixel canvas) followed by a white background rectangle filling it.
std::string open_svg_canvas(std::string_view css_class, double width, double height);

// The width in pixels that a line of text takes in the report's sans-serif font at `font_size`
// pixels: an estimate (0.6 em a character, counting UTF-8 characters) used to lay out labels.
double text_width(std::string_view text, double font_size);

}  // namespace retune::report
