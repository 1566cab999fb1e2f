// Fuzz target: a .safetensors file (8-byte header length, JSON header, data section). Opening it
// must either validate it or throw retune::Error; every tensor of a file that opens must be
// readable within the file's bytes.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "io/safetensors_file.h"
#include "scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = retune::fuzz::write_scratch_file("model.safetensors", data, size);
  try {
    const auto file = retune::SafetensorsFile::open(path);
    for (const auto& name : file.names()) {
      const retune::Tensor tensor = file.tensor(name);
      if (tensor.numel() <= 4096) (void)tensor.to_f32_vector();
    }
    (void)file.metadata();
  } catch (const retune::Error&) {
  }
  return 0;
}
