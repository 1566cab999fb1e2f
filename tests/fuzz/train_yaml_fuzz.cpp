// Fuzz target: a `retune train` YAML config. Loading it must give a config or throw
// retune::Error.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "scratch_file.h"
#include "train/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = retune::fuzz::write_scratch_file("train.yaml", data, size);
  try {
    const auto config = retune::train::load_train_config(path, {});
    (void)retune::train::method_name(config);
  } catch (const retune::Error&) {
  }
  return 0;
}
