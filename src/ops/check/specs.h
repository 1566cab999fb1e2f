// The check specs of every op, one function per op (defined in <op>_specs.cpp beside this).
#pragma once

#include <vector>

#include "ops/check/op_spec.h"

namespace retune::ops {

// One declaration per op.
std::vector<OpSpec> matmul_specs();

// Every spec above, in op order.
std::vector<OpSpec> all_op_specs();

}  // namespace retune::ops
