#include "data/batch_source.h"

namespace retune {

Batch Batch::allocate(int64_t rows, int64_t length) {
  Batch batch;
  for (Tensor* tensor : {&batch.input_ids, &batch.labels, &batch.doc_ids, &batch.positions}) {
    *tensor = Tensor::empty({rows, length}, DType::i32);
  }
  batch.tasks.assign(static_cast<size_t>(rows), 0);
  return batch;
}

}  // namespace retune
