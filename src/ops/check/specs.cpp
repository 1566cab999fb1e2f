#include "ops/check/specs.h"

namespace retune::ops {

std::vector<OpSpec> all_op_specs() {
  std::vector<OpSpec> all;
  // One line per op, in the order selfcheck reports them.
  const std::vector<std::vector<OpSpec> (*)()> per_op = {
      matmul_specs,
  };
  for (auto specs : per_op) {
    for (OpSpec& spec : specs()) all.push_back(std::move(spec));
  }
  return all;
}

}  // namespace retune::ops
