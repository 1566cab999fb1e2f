#include "data/batch_source.h"

namespace retune {

Batch Batch::allocate(int64_t rows, int64_t length) {
  Batch batch;
  for (Tensor* tensor : {&batch.input_ids, &batch.labels, &batch.doc_ids, &batch.positions}) {
    *tensor = Tensor::empty({rows, length}, DType::i32);
  }
  return batch;
}

}  // namespace retune
