// The profile stage of an op call (core/profile.h): the op's name and a tensor's dtype and shape,
// "swiglu_forward bf16[8192, 4864]", made only when a running profile keeps stages.
#pragma once

#include <fmt/format.h>

#include "core/profile.h"
#include "core/tensor.h"

namespace retune::ops {

inline profile::Stage op_stage(const char* op, const Tensor& t) {
  return profile::Stage([op, &t] {
    return t.defined() ? fmt::format("{} {}{}", op, dtype_name(t.dtype()), t.shape().str())
                       : std::string(op);
  });
}

}  // namespace retune::ops
