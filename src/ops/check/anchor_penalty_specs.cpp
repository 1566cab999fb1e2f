#include <fmt/format.h>

#include "ops/anchor_penalty.h"
#include "ops/check/specs.h"
#include "ops/reference/anchor_penalty.h"

namespace retune::ops {

namespace {

// Three tensors of awkward sizes (1, 7 and 1003 elements), the middle one without a Fisher
// (L2-SP's weight alone there). The ops have no backward: their outputs are the updated gradients
// (or sums) and the penalty.
const std::vector<Shape> kShapes = {{1}, {7}, {17, 59}};

std::string indexed(const char* name, size_t k) {
  return fmt::format("{}{}", name, k);
}

OpSpec anchor_penalty_spec(double l2sp, double ewc) {
  OpSpec spec;
  spec.op = "anchor_penalty";
  spec.variant = fmt::format("sizes 1, 7, 1003 l2sp={} ewc={}", l2sp, ewc);
  const auto has_fisher = [](size_t k) { return k != 1; };
  for (size_t k = 0; k < kShapes.size(); ++k) {
    spec.inputs.push_back({indexed("value", k), kShapes[k], ArgKind::real, -1, 1, false});
    spec.inputs.push_back({indexed("start", k), kShapes[k], ArgKind::real, -1, 1, false});
    if (has_fisher(k)) {
      spec.inputs.push_back({indexed("fisher", k), kShapes[k], ArgKind::real, 0, 2, false});
    }
    spec.inputs.push_back({indexed("grad", k), kShapes[k], ArgKind::real, -1, 1, false});
  }
  spec.reference_forward = [=](const HostArrays& in) {
    HostArrays out;
    HostArray penalty = host_zeros({1});
    for (size_t k = 0; k < kShapes.size(); ++k) {
      HostArray& grad = out[indexed("grad", k)] = in.at(indexed("grad", k));
      penalty.values[0] += reference::anchor_penalty<double>(
          in.at(indexed("value", k)).values.data(), in.at(indexed("start", k)).values.data(),
          has_fisher(k) ? in.at(indexed("fisher", k)).values.data() : nullptr, grad.values.data(),
          kShapes[k].numel(), l2sp, ewc);
    }
    out["penalty"] = penalty;
    return out;
  };
  spec.forward = [=](const Tensors& in) {
    Tensors out;
    std::vector<AnchoredTensor> tensors;
    for (size_t k = 0; k < kShapes.size(); ++k) {
      tensors.push_back({in.at(indexed("value", k)), in.at(indexed("start", k)),
                         has_fisher(k) ? in.at(indexed("fisher", k)) : Tensor(),
                         out[indexed("grad", k)] = in.at(indexed("grad", k)).clone()});
    }
    const double penalty = anchor_penalty(tensors, l2sp, ewc);
    out["penalty"] = Tensor::from_vector<float>({1}, DType::f32,
                                                std::vector<float>{static_cast<float>(penalty)});
    return out;
  };
  // Each element's term w d is computed in double from f32 values, rounded to f32, and added to
  // the f32 gradient: two f32 roundings of values up to |w d| <= (l2sp + 2 ewc) 2 in size, the
  // result maybe much smaller (cancellation). The penalty is summed in double (reported through
  // an f32 [1]).
  spec.forward_tolerance = {2 * (l2sp + 2 * ewc) * 2 * 6e-8, 1e-6};
  return spec;
}

OpSpec add_squares_spec(double scale) {
  OpSpec spec;
  spec.op = "add_squares";
  spec.variant = fmt::format("sizes 1, 7, 1003 scale={}", scale);
  for (size_t k = 0; k < kShapes.size(); ++k) {
    spec.inputs.push_back({indexed("grad", k), kShapes[k], ArgKind::real, -1, 1, false});
    spec.inputs.push_back({indexed("sum", k), kShapes[k], ArgKind::real, 0, 1, false});
  }
  spec.reference_forward = [=](const HostArrays& in) {
    HostArrays out;
    for (size_t k = 0; k < kShapes.size(); ++k) {
      HostArray& sum = out[indexed("sum", k)] = in.at(indexed("sum", k));
      reference::add_squares<double>(in.at(indexed("grad", k)).values.data(), sum.values.data(),
                                     kShapes[k].numel(), scale);
    }
    return out;
  };
  spec.forward = [=](const Tensors& in) {
    Tensors out;
    std::vector<Tensor> grads;
    std::vector<Tensor> sums;
    for (size_t k = 0; k < kShapes.size(); ++k) {
      grads.push_back(in.at(indexed("grad", k)));
      sums.push_back(out[indexed("sum", k)] = in.at(indexed("sum", k)).clone());
    }
    add_squares(grads, sums, static_cast<float>(scale));
    return out;
  };
  // Two f32 products and a sum of O(1) values.
  spec.forward_tolerance = {1e-7, 1e-6};
  return spec;
}

}  // namespace

std::vector<OpSpec> anchor_penalty_specs() {
  return {anchor_penalty_spec(0.1, 3.0),  // L2-SP and EWC
          anchor_penalty_spec(0.0, 5.0),  // EWC alone: the middle tensor adds nothing
          anchor_penalty_spec(2.0, 0.0),  // L2-SP alone, the Fishers unread
          add_squares_spec(1.0), add_squares_spec(0.25)};
}

}  // namespace retune::ops
