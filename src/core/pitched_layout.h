// How a strided view's elements lie in memory when they form `rows` runs of `run` contiguous
// elements, the runs evenly `pitch` elements apart: what a GPU copies in one pitched (2-D) copy
// (core/cuda/runtime.h's copy_pitched). A contiguous view is one run; a column slice of a matrix,
// or rows [a, b) of each batch item of a [B, S, ...] cache, are several.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "core/shape.h"

namespace retune {

struct PitchedLayout {
  int64_t rows = 1;
  int64_t run = 0;    // elements per row
  int64_t pitch = 0;  // elements from one row's start to the next's (run when rows == 1)
};

// The layout of a view of `shape` with `strides` (in elements) split at dim `split`: its dims
// [split, rank) contiguous (one run each row), its dims [0, split) the rows, evenly spaced. None
// when the view is not laid out so. Dims of size 1 are ignored.
std::optional<PitchedLayout> pitched_layout(const Shape& shape, std::span<const int64_t> strides,
                                            int split);

// The layouts of two views of one shape (a copy's destination and source) with the longest runs
// both allow: the same rows and run, each its own pitch. None when no split suits both.
std::optional<std::pair<PitchedLayout, PitchedLayout>> common_pitched_layout(
    const Shape& shape, std::span<const int64_t> first, std::span<const int64_t> second);

}  // namespace retune
