// Shape: up to 4 dimensions, row-major. Dimension sizes are int64_t and never negative.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace retune {

constexpr int kMaxRank = 4;
// The most elements a shape may have: 2^59, so that its size in bytes (8 per element at most)
// and offsets into it fit in int64_t. Shapes built from file headers are checked against it.
constexpr int64_t kMaxNumel = int64_t{1} << 59;

class Shape {
 public:
  Shape() = default;
  // Throws for more than kMaxRank dims, a size < 0, or more than kMaxNumel elements.
  Shape(std::initializer_list<int64_t> dims);

  int rank() const { return rank_; }
  // Dimension `dim` (0 <= dim < rank(); throws otherwise).
  int64_t operator[](int dim) const {
    check_dim(dim);
    return dims_[static_cast<size_t>(dim)];
  }
  int64_t& operator[](int dim) {
    check_dim(dim);
    return dims_[static_cast<size_t>(dim)];
  }
  void append(int64_t size);
  // Throws unless 0 <= dim < rank().
  void check_dim(int dim) const;  // one more trailing dimension (checked like the constructor)
  int64_t numel() const;
  // "[4, 256, 576]"
  std::string str() const;
  bool operator==(const Shape& other) const;

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace retune
