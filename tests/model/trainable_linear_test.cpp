// A linear in training with a bf16 output: taken without a bias and with an adapter that takes
// bf16 activations (LoRA), refused otherwise, naming what it needs.
#include "model/trainable_linear.h"

#include <gtest/gtest.h>

#include <string>

#include "adapters/lora_linear.h"
#include "core/random_tensor.h"
#include "support/error_of.h"

namespace retune::model {
namespace {

TEST(TrainableLinear, Bf16OutputNeedsNoBiasAndABf16Adapter) {
  const Tensor weight = uniform_tensor({4, 3}, 1);
  const Tensor x = uniform_tensor({5, 3}, 2);
  // Without bias and adapter: the f32 product, rounded once.
  TrainableLinear plain{.weight = weight, .output = DType::bf16};
  const Tensor y = plain.forward(x);
  EXPECT_EQ(y.dtype(), DType::bf16);
  TrainableLinear f32{.weight = weight};
  EXPECT_EQ(y.to_f32_vector(), f32.forward(x).to(DType::bf16).to_f32_vector());
  // LoRA takes bf16 activations; DoRA and a bias do not allow a bf16 output.
  adapters::LoraLinear lora(weight, {.r = 2});
  EXPECT_TRUE((TrainableLinear{.weight = weight, .adapter = &lora}).can_output_bf16());
  adapters::LoraLinear dora(weight, {.r = 2, .use_dora = true});
  const std::string message =
      "TrainableLinear: a bf16 output needs no bias and an adapter that takes bf16 activations";
  EXPECT_EQ(error_of([&] {
              TrainableLinear{.weight = weight, .adapter = &dora, .output = DType::bf16}.forward(x);
            }),
            message);
  EXPECT_EQ(error_of([&] {
              TrainableLinear{
                  .weight = weight, .bias = uniform_tensor({4}, 3), .output = DType::bf16}
                  .forward(x);
            }),
            message);
}

}  // namespace
}  // namespace retune::model
