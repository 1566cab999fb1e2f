// Colours of the report: distinct colours for chart series, and a sequential colour scale for
// heat maps (dark purple for low values through teal to yellow for high ones, readable by people
// with common colour-vision deficiencies and in greyscale).
#pragma once

#include <cstddef>
#include <string>

namespace retune::report {

// The i-th series colour as "#rrggbb"; ten colours, repeating after the tenth.
std::string series_colour(size_t index);

// An RGB colour with channels in [0, 255].
struct Rgb {
  int red = 0;
  int green = 0;
  int blue = 0;
};

// The sequential scale's colour at `fraction` in [0, 1] (clamped; NaN gives 0).
Rgb scale_colour(double fraction);

// "#rrggbb".
std::string to_hex(Rgb colour);

// "#ffffff" or "#000000", whichever reads better on `background`.
std::string text_colour_on(Rgb background);

}  // namespace retune::report
