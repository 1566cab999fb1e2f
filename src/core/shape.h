// Shape: up to 4 dimensions, row-major. Dimension sizes are int64_t and never negative.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace retune {

constexpr int kMaxRank = 4;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);  // throws for more than kMaxRank or a size < 0

  int rank() const { return rank_; }
  int64_t operator[](int dim) const { return dims_[static_cast<size_t>(dim)]; }
  int64_t& operator[](int dim) { return dims_[static_cast<size_t>(dim)]; }
  void append(int64_t size);  // one more trailing dimension (throws past kMaxRank)
  int64_t numel() const;
  // "[4, 256, 576]"
  std::string str() const;
  bool operator==(const Shape& other) const;

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace retune
