#include "eval/loss_evaluation.h"

#include "data/batch_stream.h"
#include "ops/cross_entropy_head.h"

namespace retune::eval {

LossEvaluation evaluate_loss(const model::CausalLm& model,
                             const std::vector<TokenizedExample>& examples, int64_t seq_len,
                             int64_t batch_size, int32_t pad_id,
                             const std::function<void(const Batch&)>& before_batch) {
  BatchStream stream(examples,
                     {.batch_size = batch_size,
                      .sequences = {.length = seq_len, .packing = false, .pad_id = pad_id},
                      .shuffle = false});
  const Device device = model.output_head().device();
  double loss_sum = 0;
  LossEvaluation result;
  while (stream.position().epoch == 0) {
    const Batch batch = stream.next();
    if (batch.target_tokens == 0) continue;
    // One document per row: no document mask is needed (padding only follows the example).
    if (before_batch) before_batch(batch);
    const Tensor hidden = model.forward_hidden(on_device(batch.input_ids, device),
                                               on_device(batch.positions, device));
    const int64_t rows = hidden.size(0) * hidden.size(1);
    const Tensor loss = Tensor::empty({1}, DType::f32, device);
    ops::cross_entropy_head_forward(hidden.reshape({rows, hidden.size(2)}), model.output_head(),
                                    on_device(batch.labels.reshape({rows}), device), loss,
                                    Tensor::empty({rows}, DType::f32, device));
    loss_sum +=
        static_cast<double>(loss.to_f32_vector()[0]) * static_cast<double>(batch.target_tokens);
    result.tokens += batch.target_tokens;
  }
  result.loss = result.tokens ? loss_sum / static_cast<double>(result.tokens) : 0;
  return result;
}

}  // namespace retune::eval
