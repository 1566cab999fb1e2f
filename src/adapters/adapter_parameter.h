// AdapterParameter: one trainable tensor of an adapter, as the optimizer and the adapter saver
// see it. `name` is PEFT's key relative to the adapted module ("lora_A.weight", "ia3_l"), or,
// once a model-wide adapter names it, the whole key (peft_key). `value` and `grad` are f32 views of
// storage the adapter owns, of the same shape; writing through them (an optimizer step, loading
// saved weights) changes the adapter.
#pragma once

#include <string>

#include "core/tensor.h"

namespace retune::adapters {

struct AdapterParameter {
  std::string name;
  Tensor value;
  Tensor grad;
};

// PEFT's key of a module's tensor: "base_model.model.<module>.<name>".
inline std::string peft_key(const std::string& module, const std::string& name) {
  return "base_model.model." + module + "." + name;
}

}  // namespace retune::adapters
