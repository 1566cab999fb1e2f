#include "core/threads.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace retune {
namespace {

TEST(Threads, BlasIsTheOpenmpBuild) {
  // The pthread build of OpenBLAS has the same soname; loading it makes every sgemm inside our
  // parallel regions spin against OpenMP's threads (measured: attention ~20x slower).
  EXPECT_TRUE(blas_uses_openmp()) << blas_config();
}

TEST(Threads, SetAndGet) {
  const int before = num_threads();
  set_num_threads(1);
  EXPECT_EQ(num_threads(), 1);
  set_num_threads(before);
  EXPECT_EQ(num_threads(), before);
  EXPECT_THROW(set_num_threads(0), Error);
}

}  // namespace
}  // namespace retune
