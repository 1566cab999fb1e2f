#include "ops/check/accumulating_dx_spec.h"

#include <utility>

namespace retune::ops {

OpSpec accumulating_dx_spec(const OpSpec& plain, AccumulatingBackward backward) {
  const Shape x_shape = plain.inputs.front().shape;
  OpSpec spec;
  spec.op = plain.op + "_backward";
  spec.variant = plain.variant + " dx accumulates";
  spec.inputs = plain.inputs;
  for (ArgSpec& input : spec.inputs) input.differentiable = false;
  spec.inputs.push_back({"dout", x_shape, ArgKind::real, -1.0, 1.0, false});
  spec.inputs.push_back({"dx0", x_shape, ArgKind::real, -1.0, 1.0, false});
  spec.reference_forward = [plain](const HostArrays& in) {
    const HostArrays out = plain.reference_forward(in);
    HostArray dx = plain.reference_backward(in, out, {{"out", in.at("dout")}}).at("dx");
    for (size_t i = 0; i < dx.values.size(); ++i) dx.values[i] += in.at("dx0").values[i];
    return HostArrays{{"dx", dx}};
  };
  spec.forward = [plain, backward = std::move(backward)](const Tensors& in) {
    const Tensors out = plain.forward(in);
    const Tensor dx = in.at("dx0").clone();
    backward(in, out, dx);
    return Tensors{{"dx", dx}};
  };
  // The backward's tolerance, and one more f32 sum of O(1) values.
  spec.forward_tolerance = plain.backward_tolerance;
  return spec;
}

}  // namespace retune::ops
