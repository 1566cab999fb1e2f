#include "report/palette.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace retune::report {

std::string series_colour(size_t index) {
  static constexpr std::array<const char*, 10> kColours = {
      "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
  return kColours[index % kColours.size()];
}

Rgb scale_colour(double fraction) {
  // Stops of a perceptually even purple-teal-yellow scale, equally spaced.
  static constexpr std::array<Rgb, 6> kStops = {Rgb{68, 1, 84},    Rgb{65, 68, 135},
                                                Rgb{42, 120, 142}, Rgb{34, 168, 132},
                                                Rgb{122, 209, 81}, Rgb{253, 231, 37}};
  const double t = std::isnan(fraction) ? 0.0 : std::clamp(fraction, 0.0, 1.0);
  const double position = t * static_cast<double>(kStops.size() - 1);
  const size_t below = std::min(static_cast<size_t>(position), kStops.size() - 2);
  const double weight = position - static_cast<double>(below);
  const auto mix = [&](int a, int b) {
    return static_cast<int>(std::lround(a + (b - a) * weight));
  };
  const Rgb& low = kStops[below];
  const Rgb& high = kStops[below + 1];
  return {mix(low.red, high.red), mix(low.green, high.green), mix(low.blue, high.blue)};
}

std::string to_hex(Rgb colour) {
  return fmt::format("#{:02x}{:02x}{:02x}", colour.red, colour.green, colour.blue);
}

std::string text_colour_on(Rgb background) {
  const double luminance =
      0.299 * background.red + 0.587 * background.green + 0.114 * background.blue;
  return luminance > 140 ? "#000000" : "#ffffff";
}

}  // namespace retune::report
