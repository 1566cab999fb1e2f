// The number of CPU threads retune computes with: OpenMP loops and OpenBLAS together.
// OpenBLAS is the OpenMP build, so a BLAS call made inside one of our parallel regions runs
// on its calling thread and the two never oversubscribe the cores.
#pragma once

namespace retune {

// Sets both OpenMP's and OpenBLAS's thread counts (n >= 1).
void set_num_threads(int n);
int num_threads();

// True when the OpenBLAS loaded at run time is the OpenMP build. The pthread build has the
// same soname (libopenblas.so.0) and is Debian's default; it is only avoided through the
// binary's RUNPATH, so a binary that loses it gets BLAS threads that spin against ours.
bool blas_uses_openmp();
// OpenBLAS's own description of its build ("OpenBLAS 0.3.21 DYNAMIC_ARCH ... Zen MAX_THREADS=64").
const char* blas_config();

}  // namespace retune
