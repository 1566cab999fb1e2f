#include "adapters/calibration_batches.h"

#include <algorithm>
#include <utility>

#include "core/error.h"

namespace retune::adapters {

CalibrationBatch make_calibration_batch(Tensor input_ids, std::vector<uint8_t> attended,
                                        std::vector<uint8_t> labelled) {
  RETUNE_CHECK(
      input_ids.rank() == 2 && input_ids.dtype() == DType::i32 && input_ids.is_contiguous(),
      "calibration input_ids must be contiguous i32 [B, T], got {}", input_ids.describe());
  const int64_t rows = input_ids.size(0), length = input_ids.size(1);
  const auto positions = static_cast<size_t>(rows * length);
  RETUNE_CHECK(attended.size() == positions && labelled.size() == positions,
               "calibration masks of {} and {} positions for ids [{}, {}]", attended.size(),
               labelled.size(), rows, length);
  Tensor labels = Tensor::empty({rows, length}, DType::i32);
  const int32_t* ids = input_ids.data<int32_t>();
  int32_t* label = labels.mutable_data<int32_t>();
  for (int64_t b = 0; b < rows; ++b) {
    for (int64_t t = 0; t < length; ++t) {
      const int64_t next = b * length + t + 1;
      label[b * length + t] = t + 1 < length && labelled[next] != 0 ? ids[next] : -100;
    }
  }
  return {.input_ids = std::move(input_ids),
          .attended = std::move(attended),
          .labelled = std::move(labelled),
          .labels = std::move(labels)};
}

std::vector<CalibrationBatch> calibration_batches(const std::vector<TokenizedExample>& examples,
                                                  int64_t rows, int64_t batch_size,
                                                  int64_t max_length, int32_t pad_id) {
  RETUNE_CHECK(rows >= 1 && batch_size >= 1 && max_length >= 1,
               "calibration needs rows, batch size and length >= 1, got {}, {} and {}", rows,
               batch_size, max_length);
  std::vector<const TokenizedExample*> chosen;
  for (const TokenizedExample& example : examples) {
    if (static_cast<int64_t>(chosen.size()) == rows) break;
    if (!example.ids.empty()) chosen.push_back(&example);
  }
  std::vector<CalibrationBatch> batches;
  for (size_t first = 0; first < chosen.size(); first += static_cast<size_t>(batch_size)) {
    const size_t last = std::min(chosen.size(), first + static_cast<size_t>(batch_size));
    int64_t length = 0;
    for (size_t i = first; i < last; ++i) {
      length = std::max(length, std::min<int64_t>(max_length, std::ssize(chosen[i]->ids)));
    }
    const auto count = static_cast<int64_t>(last - first);
    Tensor ids = Tensor::empty({count, length}, DType::i32);
    std::vector<uint8_t> attended(static_cast<size_t>(count * length), 0);
    std::vector<uint8_t> labelled(attended.size(), 0);
    int32_t* id = ids.mutable_data<int32_t>();
    for (int64_t b = 0; b < count; ++b) {
      const TokenizedExample& example = *chosen[first + static_cast<size_t>(b)];
      for (int64_t t = 0; t < length; ++t) {
        const auto at = static_cast<size_t>(b * length + t);
        const bool token = t < std::ssize(example.ids);
        id[at] = token ? example.ids[static_cast<size_t>(t)] : pad_id;
        attended[at] = token ? 1 : 0;
        labelled[at] = token && example.trained[static_cast<size_t>(t)] ? 1 : 0;
      }
    }
    batches.push_back(
        make_calibration_batch(std::move(ids), std::move(attended), std::move(labelled)));
  }
  RETUNE_CHECK(!batches.empty(), "the calibration data has no example with a token");
  return batches;
}

}  // namespace retune::adapters
