#include "ops/cuda/launch.cuh"
#include "ops/cuda/partial_sums.h"
#include "ops/cuda/row_reduce.cuh"

namespace retune::ops::cuda {

namespace {

// *total = sum of partial[0, count), by one block.
__global__ void add_partial_sums(const double* partial, int64_t count, double* total) {
  double sum = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) sum += partial[i];
  sum = block_sum(sum);
  if (threadIdx.x == 0) *total = sum;
}

}  // namespace

PartialSums::PartialSums(int64_t slots) : count_(slots), buffer_(slots + 1) {}

double PartialSums::total() const {
  double* total = buffer_.data() + count_;
  add_partial_sums<<<1, 1024, 0, stream()>>>(buffer_.data(), count_, total);
  check_launch("the sum of partial sums");
  double result = 0;
  retune::cuda::check(
      cudaMemcpyAsync(&result, total, sizeof(double), cudaMemcpyDeviceToHost, stream()),
      "reading a sum back");
  retune::cuda::synchronize();
  return result;
}

}  // namespace retune::ops::cuda
