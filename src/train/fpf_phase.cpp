#include "train/fpf_phase.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <utility>

#include "core/error.h"

namespace retune::train {

bool fpf_chooses(const std::string& name, const std::vector<std::string>& modules, int64_t layers) {
  for (const std::string& part : modules) {
    if (part == "last_layer") {
      const int64_t last = layers - 1;
      if (name.find(fmt::format("layers.{}.", last)) != std::string::npos ||
          name.find(fmt::format("h.{}.", last)) != std::string::npos) {
        return true;
      }
    } else if (name.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

FpfPhase::FpfPhase(const std::vector<Parameter>& parameters, int64_t layers, BatchStream buffer,
                   FpfOptions options)
    : all_(parameters), buffer_(std::move(buffer)), options_(std::move(options)) {
  RETUNE_CHECK(options_.every >= 1 && options_.steps >= 1,
               "forgetting.fpf_every and fpf_steps must be >= 1, got {} and {}", options_.every,
               options_.steps);
  for (const Parameter& p : parameters) {
    if (fpf_chooses(p.name, options_.modules, layers)) chosen_.push_back(p);
  }
  RETUNE_CHECK(!chosen_.empty(),
               "forgetting.fpf_modules [{}] choose none of the {} trained tensors",
               fmt::join(options_.modules, ", "), parameters.size());
}

double FpfPhase::run(model::TrainingStep& step) {
  Optimizer optimizer(chosen_, options_.optimizer);
  const Device device = chosen_.front().value.device();  // the model's: where the steps run
  double loss = 0;
  for (int64_t i = 0; i < options_.steps; ++i) {
    const Batch batch = buffer_.next();
    if (batch.target_tokens > 0) {
      loss += step.step(model::batch_on_device(device, batch.input_ids, batch.labels, batch.doc_ids,
                                               batch.positions));
      if (std::isfinite(optimizer.clip_grad_norm(options_.max_grad_norm))) {
        optimizer.step(options_.lr);
      }
    }
    for (const Parameter& p : all_) p.grad.fill(0.0);
  }
  return loss / static_cast<double>(options_.steps);
}

}  // namespace retune::train
