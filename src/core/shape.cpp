#include "core/shape.h"

#include <fmt/format.h>

#include "core/error.h"

namespace retune {

Shape::Shape(std::initializer_list<int64_t> dims) {
  RETUNE_CHECK(dims.size() <= kMaxRank, "a shape has at most {} dimensions, got {}", kMaxRank,
               dims.size());
  for (int64_t size : dims) append(size);
}

void Shape::append(int64_t size) {
  RETUNE_CHECK(rank_ < kMaxRank, "a shape has at most {} dimensions", kMaxRank);
  RETUNE_CHECK(size >= 0, "dimension sizes must be >= 0, got {}", size);
  const int64_t count = numel();
  RETUNE_CHECK(size == 0 || count <= kMaxNumel / size,
               "shape {} with a dimension of {} more would exceed {} elements", str(), size,
               kMaxNumel);
  dims_[static_cast<size_t>(rank_++)] = size;
}

void Shape::check_dim(int dim) const {
  RETUNE_CHECK(dim >= 0 && dim < rank_, "dimension {} of a rank-{} shape {}", dim, rank_, str());
}

int64_t Shape::numel() const {
  int64_t count = 1;
  for (int d = 0; d < rank_; ++d) count *= (*this)[d];
  return count;
}

std::string Shape::str() const {
  std::string text = "[";
  for (int d = 0; d < rank_; ++d) text += fmt::format("{}{}", d ? ", " : "", (*this)[d]);
  return text + "]";
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int d = 0; d < rank_; ++d) {
    if ((*this)[d] != other[d]) return false;
  }
  return true;
}

}  // namespace retune
