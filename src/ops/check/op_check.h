// run_op_spec: the checks of one OpSpec on one device (see op_spec.h for what each check is).
#pragma once

#include <string>
#include <vector>

#include "core/device.h"
#include "ops/check/op_spec.h"

namespace retune::ops {

struct CheckResult {
  std::string check;  // "forward out", "backward dx", "finite differences dx"
  Tolerance tolerance{0, 0};
  double max_abs_error = 0;  // largest |got - want|
  double worst_excess = 0;   // largest |got - want| / (atol + rtol * |want|); <= 1 passes
  bool passed = true;
  std::string detail;  // where the worst element is and its values
};

// Every check of `spec` on `device`, with inputs drawn from `seed`. Never throws for a
// numerical mismatch; an exception from the op itself is reported as a failed check.
std::vector<CheckResult> run_op_spec(const OpSpec& spec, Device device, uint64_t seed);

// Devices this build can run ops on: the CPU, and CUDA's first device when the build has the
// backend and the machine a GPU (made current).
std::vector<Device> available_devices();

}  // namespace retune::ops
