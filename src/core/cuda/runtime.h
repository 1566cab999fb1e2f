// The CUDA runtime as retune uses it (built only with RETUNE_CUDA): one current device per
// process, one stream per device that every kernel, cuBLASLt call and copy runs on (so work is
// ordered and a freed block can be reused at once, as in PyTorch's caching allocator), and a
// caching allocator that keeps freed blocks for reuse instead of returning them to the driver.
// Kernel files (.cu) include this header: it must not include fmt (nvcc cannot compile it), hence
// not core/error.h or core/tensor.h either.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "core/device.h"

namespace retune::cuda {

// Throws retune::Error naming `what` and the CUDA error when `status` is not cudaSuccess.
void check(cudaError_t status, const char* what);

// The number of CUDA devices the driver shows (0 without a driver or a GPU; never throws).
int device_count();
// Makes device `index` current for this process; throws unless it exists. Every later
// allocation, kernel and copy on a cuda tensor goes to the current device.
void use_device(int index);
// The current device's index.
int current_device();
// The current device's stream, created on first use.
cudaStream_t stream();
// Waits for everything queued on the current device's stream.
void synchronize();

// The caching allocator. allocate returns nbytes (rounded up) of device memory on `device`, which
// must be the current one, from a block freed earlier when one of that rounded size is cached. When
// the driver refuses, every cached block is returned to it and the allocation retried once; a
// second refusal throws, naming the sizes in use and free. release gives a block back to the cache.
void* allocate(size_t nbytes, int device);
void release(void* block, size_t nbytes);
// Bytes handed out and not released: now and at most since the last reset_peak.
size_t bytes_in_use();
size_t peak_bytes_in_use();
void reset_peak();

// nbytes from `source` on one device to `target` on another (or the same), in stream order;
// a copy to the host waits until the bytes are there.
void copy_bytes(void* target, Device target_device, const void* source, Device source_device,
                size_t nbytes);
// `rows` runs of run_bytes each, the i-th from source + i * source_pitch to target + i *
// target_pitch (pitches in bytes, each >= run_bytes), between devices as copy_bytes, in stream
// order; a copy to the host waits until the bytes are there.
void copy_pitched(void* target, size_t target_pitch, Device target_device, const void* source,
                  size_t source_pitch, Device source_device, size_t run_bytes, size_t rows);
// nbytes of zeros at a device address, in stream order.
void zero_bytes(void* target, size_t nbytes);

}  // namespace retune::cuda
