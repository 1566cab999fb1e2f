// The number of CPU threads retune computes with: OpenMP loops and OpenBLAS together.
// OpenBLAS is the OpenMP build, so a BLAS call made inside one of our parallel regions runs
// on its calling thread and the two never oversubscribe the cores.
#pragma once

namespace retune {

// Sets both OpenMP's and OpenBLAS's thread counts (n >= 1).
void set_num_threads(int n);
int num_threads();

}  // namespace retune
