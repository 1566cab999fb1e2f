#include "core/threads.h"

#include <cblas.h>
#include <omp.h>

#include "core/error.h"

namespace retune {

void set_num_threads(int n) {
  RETUNE_CHECK(n >= 1, "thread count must be >= 1, got {}", n);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() {
  return omp_get_max_threads();
}

bool blas_uses_openmp() {
  constexpr int kOpenblasOpenmp = 2;  // openblas_get_parallel(): 0 serial, 1 pthreads, 2 OpenMP
  return openblas_get_parallel() == kOpenblasOpenmp;
}

const char* blas_config() {
  return openblas_get_config();
}

}  // namespace retune
