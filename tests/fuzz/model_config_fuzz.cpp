// Fuzz target: a model's config.json. Parsing it must give a config whose derived values
// (rotary dims, RoPE frequencies) can be computed, or throw retune::Error.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/model_config.h"
#include "model/rope_frequencies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto document = nlohmann::json::parse(data, data + size, nullptr, false);
  if (document.is_discarded()) return 0;  // not JSON: the JSON reader's job, not this target's
  try {
    const auto config = retune::model::parse_model_config(document, "config.json");
    (void)retune::model::rope_frequencies(config);  // head_dim is bounded: at most 2048 floats
  } catch (const retune::Error&) {
  }
  return 0;
}
