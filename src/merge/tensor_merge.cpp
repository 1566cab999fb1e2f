#include "merge/tensor_merge.h"

#include "merge/linear.h"
#include "merge/model_stock.h"
#include "merge/spherical.h"

namespace retune::merge {

std::vector<float> merge_tensor(const MethodSpec& method, TensorGroup& group,
                                const ModelThresholds& thresholds) {
  switch (method.kind) {
    case MethodKind::linear:
      return linear_merge(group);
    case MethodKind::task_arithmetic:
      return task_arithmetic_merge(method, group, thresholds);
    case MethodKind::slerp:
      return slerp_merge(group);
    case MethodKind::nuslerp:
      return nuslerp_merge(group);
    case MethodKind::model_stock:
      return model_stock_merge(group);
    case MethodKind::passthrough:
      return passthrough_merge(group);
  }
  return {};
}

}  // namespace retune::merge
