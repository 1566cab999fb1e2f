// Device memory for a kernel's intermediate results (partial sums), from the caching allocator
// of core/cuda/runtime.h. It is released when the Scratch goes out of scope, possibly before the
// kernels queued on it have run: that is safe because every kernel runs on the device's one
// stream, so whatever reuses the block next is queued, and runs, after them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/cuda/runtime.h"

namespace retune::ops::cuda {

template <typename T>
class Scratch {
 public:
  explicit Scratch(int64_t count)
      : nbytes_(static_cast<size_t>(count) * sizeof(T)),
        data_(static_cast<T*>(retune::cuda::allocate(nbytes_, retune::cuda::current_device()))) {}
  ~Scratch() { retune::cuda::release(data_, nbytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  T* data() const { return data_; }

 private:
  size_t nbytes_;
  T* data_;
};

}  // namespace retune::ops::cuda
