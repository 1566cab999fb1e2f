// Fuzz target: an adapter folder's adapter_config.json. Parsing it as the config of the method its
// "peft_type" names (LoRA and its variants, (IA)³, SSF, Poly/MHR; another type is tried as LoRA,
// whose parser refuses it) must give a config or throw retune::Error.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "adapters/ia3_config.h"
#include "adapters/lora_config.h"
#include "adapters/poly_config.h"
#include "adapters/ssf_config.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto document = nlohmann::ordered_json::parse(data, data + size, nullptr, false);
  if (document.is_discarded()) return 0;  // not JSON: the JSON reader's job, not this target's
  const char* source = "adapter_config.json";
  const auto type = document.is_object() ? document.find("peft_type") : document.end();
  const std::string peft_type =
      type != document.end() && type->is_string() ? type->get<std::string>() : "";
  try {
    if (peft_type == "IA3") {
      (void)retune::adapters::parse_ia3_config(document, source);
    } else if (peft_type == "SSF") {
      (void)retune::adapters::parse_ssf_config(document, source);
    } else if (peft_type == "POLY") {
      (void)retune::adapters::parse_poly_config(document, source);
    } else {
      (void)retune::adapters::parse_lora_config(document, source);
    }
  } catch (const retune::Error&) {
  }
  return 0;
}
