// A linear in training with a bf16 output: taken without a bias and with an adapter that takes
// bf16 activations (LoRA), refused otherwise, naming what it needs. A frozen linear's backward
// needs no input.
#include "model/trainable_linear.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// A frozen linear (its bias training or not) gives dx and the bias's gradient without its input,
// the same bits as with it, for nn.Linear and Conv1D weights; one whose weight trains or that has
// an adapter refuses to go without it.
TEST(TrainableLinear, AFrozenLinearsBackwardNeedsNoInput) {
  const Tensor x = uniform_tensor({5, 3}, 4);
  const Tensor dy = uniform_tensor({5, 4}, 5);
  for (const bool conv1d : {false, true}) {
    const Tensor weight = conv1d ? uniform_tensor({3, 4}, 6) : uniform_tensor({4, 3}, 6);
    const auto gradients = [&](const Tensor& input) {
      const TrainableLinear frozen{.weight = weight,
                                   .bias = uniform_tensor({4}, 7),
                                   .bias_grad = Tensor::zeros({4}, DType::f32),
                                   .conv1d = conv1d};
      EXPECT_FALSE(frozen.needs_input());
      const Tensor dx = uniform_tensor({5, 3}, 8);
      frozen.backward(input, dy, dx, true);
      std::vector<float> all = dx.to_f32_vector();
      const std::vector<float> bias = frozen.bias_grad.to_f32_vector();
      all.insert(all.end(), bias.begin(), bias.end());
      return all;
    };
    EXPECT_EQ(gradients(Tensor()), gradients(x)) << conv1d;
  }
  const Tensor weight = uniform_tensor({4, 3}, 6);
  const TrainableLinear trained{.weight = weight, .weight_grad = Tensor::zeros({4, 3}, DType::f32)};
  EXPECT_TRUE(trained.needs_input());
  EXPECT_EQ(error_of([&] { trained.backward(Tensor(), dy, Tensor(), false); }),
            "TrainableLinear: the backward of a linear with a trained weight needs its input");
  adapters::LoraLinear lora(weight, {.r = 2});
  const TrainableLinear adapted{.weight = weight, .adapter = &lora};
  EXPECT_TRUE(adapted.needs_input());
  EXPECT_EQ(error_of([&] { adapted.backward(Tensor(), dy, Tensor(), false); }),
            "TrainableLinear: the backward of a linear with an adapter needs its input");
}

}  // namespace
}  // namespace retune::model
