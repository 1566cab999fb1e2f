// Keeping freed memory for reuse. glibc's malloc hands blocks of at least its mmap threshold
// (128 KiB, growing with use) back to the kernel when they are freed, and trims the heap's free
// top past its trim threshold; a training step frees and allocates the same activation sizes
// every step, and each new block then costs page faults and the kernel's zeroing of every page
// (~9% of a LoRA step at the SmolLM2-135M shape, B=4, T=256). Called once at the start of a
// program (the CLI, the benchmarks): blocks up to 32 MiB (glibc's largest mmap threshold) come
// from the heap, and freed heap memory stays mapped. Peak memory does not grow: a step's
// blocks are freed and allocated again in the same sizes.
#pragma once

namespace retune {

void keep_freed_memory_for_reuse();

}  // namespace retune
