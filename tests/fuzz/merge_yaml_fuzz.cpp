// Fuzz target: a mergekit-style merge YAML. Parsing it must give a merge config or throw
// retune::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "merge/merge_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)retune::merge::parse_merge_config(text, "/fuzz/merge.yaml");
  } catch (const retune::Error&) {
  }
  return 0;
}
