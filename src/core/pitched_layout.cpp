#include "core/pitched_layout.h"

namespace retune {

std::optional<PitchedLayout> pitched_layout(const Shape& shape, std::span<const int64_t> strides,
                                            int split) {
  const auto stride = [&](int d) { return strides[static_cast<size_t>(d)]; };
  int64_t run = 1;
  for (int d = shape.rank() - 1; d >= split; --d) {
    if (shape[d] != 1 && stride(d) != run) return std::nullopt;
    run *= shape[d];
  }
  // The rows: the outer dims, innermost first, each spaced by the one inside it.
  int64_t rows = 1;
  int64_t pitch = 0;  // the spacing of consecutive rows, once a dim of size > 1 has set it
  for (int d = split - 1; d >= 0; --d) {
    if (shape[d] == 1) continue;
    if (rows == 1) {
      pitch = stride(d);
    } else if (stride(d) != pitch * rows) {
      return std::nullopt;
    }
    rows *= shape[d];
  }
  if (rows == 1) pitch = run;
  if (rows > 1 && run > 0 && pitch < run) return std::nullopt;  // rows that overlap
  return PitchedLayout{rows, run, pitch};
}

std::optional<std::pair<PitchedLayout, PitchedLayout>> common_pitched_layout(
    const Shape& shape, std::span<const int64_t> first, std::span<const int64_t> second) {
  for (int split = 0; split <= shape.rank(); ++split) {
    const auto a = pitched_layout(shape, first, split);
    const auto b = pitched_layout(shape, second, split);
    if (a && b) return std::pair{*a, *b};
  }
  return std::nullopt;
}

}  // namespace retune
