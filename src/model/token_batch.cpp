#include "model/token_batch.h"

namespace retune::model {

TokenBatch batch_on_device(Device device, const Tensor& input_ids, const Tensor& labels,
                           const Tensor& doc_ids, const Tensor& positions) {
  return {on_device(input_ids, device), on_device(labels, device), on_device(doc_ids, device),
          on_device(positions, device),
          !device.is_cpu() && labels.device().is_cpu() ? labels : Tensor()};
}

}  // namespace retune::model
