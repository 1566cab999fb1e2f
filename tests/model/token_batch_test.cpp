// batch_on_device: a batch of host tensors for a training step on the CPU (as it is) or on a GPU
// (copied there, the labels' host tensor kept for the step's checks).
#include "model/token_batch.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/device.h"

namespace retune::model {
namespace {

struct HostRows {
  Tensor ids = Tensor::from_vector<int32_t>({1, 3}, DType::i32, std::vector<int32_t>{5, 6, 7});
  Tensor labels =
      Tensor::from_vector<int32_t>({1, 3}, DType::i32, std::vector<int32_t>{6, 7, -100});
  Tensor positions =
      Tensor::from_vector<int32_t>({1, 3}, DType::i32, std::vector<int32_t>{0, 1, 2});
};

TEST(TokenBatch, OnTheCpuIsTheHostTensorsThemselves) {
  const HostRows rows;
  const TokenBatch batch =
      batch_on_device(Device::cpu(), rows.ids, rows.labels, Tensor(), rows.positions);
  EXPECT_TRUE(batch.input_ids.overlaps(rows.ids));
  EXPECT_TRUE(batch.labels.overlaps(rows.labels));
  EXPECT_TRUE(batch.positions.overlaps(rows.positions));
  EXPECT_FALSE(batch.doc_ids.defined());
  EXPECT_FALSE(batch.host_labels.defined());  // the labels are on the host already
}

TEST(TokenBatch, GpuBatchKeepsTheHostLabels) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  const HostRows rows;
  const TokenBatch batch = batch_on_device(gpu, rows.ids, rows.labels, Tensor(), rows.positions);
  EXPECT_EQ(batch.input_ids.device(), gpu);
  EXPECT_EQ(batch.labels.device(), gpu);
  EXPECT_EQ(batch.positions.device(), gpu);
  EXPECT_FALSE(batch.doc_ids.defined());
  EXPECT_TRUE(batch.host_labels.overlaps(rows.labels));
  EXPECT_EQ(batch.labels.to_f32_vector(), rows.labels.to_f32_vector());
  // Already on the GPU: no host copy to keep.
  EXPECT_FALSE(batch_on_device(gpu, batch.input_ids, batch.labels, Tensor(), Tensor())
                   .host_labels.defined());
}

}  // namespace
}  // namespace retune::model
