// AdapterParameter: one trainable tensor of an adapter, as the optimizer and the adapter saver
// see it. `name` is PEFT's key relative to the adapted module ("lora_A.weight"); the saver
// prefixes the module path. `value` and `grad` are f32 views of storage the adapter owns, of the
// same shape; writing through them (an optimizer step, loading saved weights) changes the adapter.
#pragma once

#include <string>

#include "core/tensor.h"

namespace retune::adapters {

struct AdapterParameter {
  std::string name;
  Tensor value;
  Tensor grad;
};

}  // namespace retune::adapters
